"""Cron schedules in the studio's time zone (sync jobs, docs/reference.md §8.5).

Given the last scheduled instant already handled, ``plan`` says whether a run is due now
(only once, however many fires were missed while the daemon was down) and when the next
fire is. Instants are timezone-aware; the cron fields are read in the studio's zone, so
"0 8 * * *" is 08:00 in São Paulo whatever the host's zone is.

A valid expression may still never fire ("0 0 30 2 *": February has no 30th) or stop
firing (a year field in the past). croniter raises then, in its own words; here that is a
``ScheduleError``, which ``schedule_problem`` turns into a config problem before the
daemon starts, and which the sync runner meets at run time only for a job whose fires run
out while it runs (that job is set aside, the others go on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter


class ScheduleError(ValueError):
    """The schedule has no fire to give: none after (or before) the instant asked."""


@dataclass(frozen=True)
class Plan:
    due: datetime | None  # the latest fire in (last, now], to run once now; None: nothing due
    next_fire: datetime  # the first fire after now


def _fire(schedule: str, start: datetime, forward: bool) -> datetime:
    try:
        it = croniter(schedule, start)
        found: datetime = it.get_next(datetime) if forward else it.get_prev(datetime)
    except (CroniterError, ValueError, OverflowError) as exc:
        side = "after" if forward else "before"
        raise ScheduleError(f'"{schedule}" has no fire {side} {start.isoformat()}') from exc
    return found


def next_fire(schedule: str, after: datetime, tz: ZoneInfo) -> datetime:
    return _fire(schedule, after.astimezone(tz), forward=True)


def latest_fire(schedule: str, at_or_before: datetime, tz: ZoneInfo) -> datetime:
    local = at_or_before.astimezone(tz)
    try:
        exact = croniter.match(schedule, local)
    except (CroniterError, ValueError, OverflowError) as exc:
        raise ScheduleError(f'"{schedule}" cannot be read: {exc}') from exc
    if exact and local.second == 0 and local.microsecond == 0:
        return local
    return _fire(schedule, local, forward=False)


def plan(schedule: str, last: datetime | None, now: datetime, tz: ZoneInfo) -> Plan:
    """``last`` None means the job is new: nothing was missed, it waits for its first fire.
    Raises ScheduleError when the schedule has no next fire (or, with ``last``, no fire
    before now)."""
    upcoming = next_fire(schedule, now, tz)
    if last is None:
        return Plan(None, upcoming)
    latest = latest_fire(schedule, now, tz)
    return Plan(latest if latest > last else None, upcoming)


def schedule_problem(schedule: str, now: datetime, tz: ZoneInfo) -> str | None:
    """Why ``schedule`` cannot drive a job from ``now`` on, or None: not a cron expression,
    or one no date matches any more."""
    if not croniter.is_valid(schedule):
        return 'is not a cron expression (expected e.g. "0 * * * *")'
    try:
        next_fire(schedule, now, tz)
    except ScheduleError:
        return (
            "never fires: no date from now on matches it (a day its month does not have, "
            'or a year that has passed; expected e.g. "0 0 28 2 *")'
        )
    return None
