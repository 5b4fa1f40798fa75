"""Cron schedules in the studio's time zone (sync jobs, docs/reference.md §8.5).

Given the last scheduled instant already handled, ``plan`` says whether a run is due now
(only once, however many fires were missed while the daemon was down) and when the next
fire is. Instants are timezone-aware; the cron fields are read in the studio's zone, so
"0 8 * * *" is 08:00 in São Paulo whatever the host's zone is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter


@dataclass(frozen=True)
class Plan:
    due: datetime | None  # the latest fire in (last, now], to run once now; None: nothing due
    next_fire: datetime  # the first fire after now


def next_fire(schedule: str, after: datetime, tz: ZoneInfo) -> datetime:
    it = croniter(schedule, after.astimezone(tz))
    found: datetime = it.get_next(datetime)
    return found


def latest_fire(schedule: str, at_or_before: datetime, tz: ZoneInfo) -> datetime:
    local = at_or_before.astimezone(tz)
    it = croniter(schedule, local)
    if croniter.match(schedule, local) and local.second == 0 and local.microsecond == 0:
        return local
    found: datetime = it.get_prev(datetime)
    return found


def plan(schedule: str, last: datetime | None, now: datetime, tz: ZoneInfo) -> Plan:
    """``last`` None means the job is new: nothing was missed, it waits for its first fire."""
    upcoming = next_fire(schedule, now, tz)
    if last is None:
        return Plan(None, upcoming)
    latest = latest_fire(schedule, now, tz)
    return Plan(latest if latest > last else None, upcoming)
