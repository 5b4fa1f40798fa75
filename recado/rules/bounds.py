"""Sane ranges for what arrives from outside: instants, calendar days and integers.

Python's datetime overflows at year 1 and 9999 (``datetime.max + timedelta`` raises) and
SQLite stores integers in 64 bits; a value outside these ranges is refused where it enters
(a 4xx naming the field, or a webhook item set aside), so nothing downstream ever has to
cope with it. A studio books within decades of today: 2000-01-01 to 2100-01-01 leaves room
for any real appointment and any timestamp Meta sends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
EARLIEST_DAY = EARLIEST.date()
LATEST_DAY = date(2099, 12, 31)
EARLIEST_UNIX = int(EARLIEST.timestamp())
LATEST_UNIX = int(LATEST.timestamp())
# SQLite's INTEGER is a signed 64-bit value.
SQL_INT_MAX = 2**63 - 1


def _utc_minute(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%MZ")


# What is really checked, said the same way: an instant (any offset) from EARLIEST up to,
# not including, LATEST, both in UTC; a calendar day from EARLIEST_DAY to LATEST_DAY.
RANGE_TEXT = f"from {_utc_minute(EARLIEST)} up to (not including) {_utc_minute(LATEST)} (UTC)"
RANGE_TEXT_PT = f"de {_utc_minute(EARLIEST)} até antes de {_utc_minute(LATEST)} (UTC)"
DAY_RANGE_TEXT = f"between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"


def instant_ok(dt: datetime) -> bool:
    """An aware instant inside the sane range."""
    return dt.tzinfo is not None and EARLIEST <= dt < LATEST


def unix_ok(ts: int) -> bool:
    """Unix seconds (Meta's timestamps) inside the sane range."""
    return EARLIEST_UNIX <= ts < LATEST_UNIX


def day_ok(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def sql_int_ok(n: int) -> bool:
    return -SQL_INT_MAX - 1 <= n <= SQL_INT_MAX
