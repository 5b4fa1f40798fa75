"""Graph API versions and when Meta retires them (docs/whatsapp-notes.md §8).

Meta keeps a version for about two years after its release; a call to a retired version is
answered by the oldest version still alive, whose behaviour may differ from what recado was
written against. The dashboard therefore warns (degraded) from ``WARN_DAYS`` before the
configured version's expiry, naming the date, and keeps warning once it has passed.

``EXPIRIES`` is Meta's changelog as of 2026-09 (versions v20.0–v25.0). A version older than
the oldest listed has expired (its date is not kept here); a newer one, or one not in the
table, has no known expiry and raises no warning: the table is extended when Meta publishes
the date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# The default of ``whatsapp.api_version``: a version with well over a year left.
DEFAULT_VERSION = "v25.0"
WARN_DAYS = 90

EXPIRIES: dict[str, date] = {
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
}

# ASCII digits only: ``\d`` would take "v٢٥.0", and ``$`` a trailing newline.
_VERSION = re.compile(r"v([0-9]{1,3})\.([0-9]{1,3})")


def parse_version(version: str) -> tuple[int, int] | None:
    """``(major, minor)`` of a version as Meta writes it (``v25.0``); None otherwise."""
    m = _VERSION.fullmatch(version)
    return (int(m.group(1)), int(m.group(2))) if m else None


@dataclass(frozen=True)
class Expiry:
    version: str
    expires_on: date | None  # None: expired on a date older than the table
    days_left: int  # negative (or 0) once expired

    @property
    def expired(self) -> bool:
        return self.days_left <= 0


def expiry_warning(version: str, today: date) -> Expiry | None:
    """The configured version's expiry when it is within ``WARN_DAYS`` of ``today`` (or has
    passed); None when it is further away or not known."""
    parsed = parse_version(version)
    if parsed is None:
        return None
    expires_on = EXPIRIES.get(f"v{parsed[0]}.{parsed[1]}")
    if expires_on is None:
        oldest = min(EXPIRIES, key=lambda v: EXPIRIES[v])
        oldest_parsed = parse_version(oldest)
        if oldest_parsed is not None and parsed < oldest_parsed:
            return Expiry(version, None, 0)
        return None
    days_left = (expires_on - today).days
    if days_left > WARN_DAYS:
        return None
    return Expiry(version, expires_on, days_left)
