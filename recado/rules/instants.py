"""Times and days written by people and other systems, read one strict way and bounded.

Each reader returns the value or raises ``ValueError`` whose text says what is expected, so
an HTTP answer can name the field and quote it. ``fromisoformat`` alone is not enough: it
accepts naive times, and a year-9999 time with an offset overflows when moved to UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from recado.rules.bounds import DAY_RANGE_TEXT, RANGE_TEXT, day_ok, instant_ok

EXAMPLE = "2026-11-24T10:00:00-03:00"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class OutOfRange(ValueError):
    """Well written, but outside the sane range."""


def parse_instant(text: object) -> datetime:
    """An RFC 3339 time with an offset, inside the sane range, in UTC."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError(f"expected an RFC 3339 time, e.g. {EXAMPLE}")
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"expected an RFC 3339 time, e.g. {EXAMPLE}") from None
    if dt.tzinfo is None:
        raise ValueError(f"the time needs an offset, e.g. {EXAMPLE}")
    try:
        inside = instant_ok(dt)
        utc = dt.astimezone(UTC)
    except OverflowError:
        inside = False
    if not inside:
        raise OutOfRange(f"expected a time {RANGE_TEXT}")
    return utc


def iso(dt: datetime) -> str:
    """The one text form of instants in the database: UTC, milliseconds, sortable."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_day(text: str) -> date:
    """A calendar day written ``YYYY-MM-DD``, inside the sane range."""
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError("expected a day written YYYY-MM-DD")
    if not day_ok(day):
        raise OutOfRange(f"expected a day {DAY_RANGE_TEXT}")
    return day
