"""When retention runs and what it deletes: the cutoff of each kind of row, the next run,
and how fast the database grows (CONTRACT §2, docs/reference.md §2.4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Each kind is kept ``retention.<kind>_days``. The order a run takes: what points at a row
# goes before it (statuses and attempts before their messages, deliveries before their
# events, every applied row before its body).
KINDS = ("raw_bodies", "statuses", "attempts", "messages", "deliveries", "events")


def cutoff(now: datetime, keep_days: int) -> datetime:
    """Rows kept ``keep_days`` (``retention.<kind>_days``) older than this go."""
    return now - timedelta(days=keep_days)


def next_run(now: datetime, tz: ZoneInfo, hour: int) -> datetime:
    """The next ``hour``:00 in the studio's zone strictly after ``now`` (a day a DST change
    skips that hour runs at the first instant after it)."""
    local = now.astimezone(tz)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at = (at + timedelta(days=1)).replace(hour=hour)
    # Wall-clock arithmetic in zoneinfo: normalise through UTC, so a skipped hour lands after.
    return at.astimezone(tz).astimezone(now.tzinfo)


def growth_per_day(samples: list[tuple[datetime, int]]) -> float | None:
    """Bytes per day between the oldest and the newest (time, size) sample of the last
    runs; None with fewer than two samples a day apart or more."""
    if len(samples) < 2:
        return None
    ordered = sorted(samples)
    (t0, b0), (t1, b1) = ordered[0], ordered[-1]
    days = (t1 - t0).total_seconds() / 86400
    return None if days < 1 else (b1 - b0) / days
