"""Wall-clock time as an injected object, so time rules are testable without sleeping.

Actors ask ``clock.now()`` for the date and time and sleep with trio; tests hand the daemon a
``TrioClock`` whose wall time advances with trio's (mockable) clock, and can jump the wall
clock alone (``TrioClock.jump``) the way an NTP step or a suspended laptop does.

An actor that sleeps "until 14:00" computes a delay from the wall clock but sleeps on trio's
monotonic clock, so a forward jump of the wall clock is invisible to it until it wakes up.
``wait_s`` caps every such delay (``MAX_WALL_WAIT_S``): the actor looks at the wall clock
again at least that often, and a due job goes out within that bound after a jump.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

import trio

from recado.rules.bounds import unix_ok
from recado.rules.instants import iso

__all__ = ["MAX_WALL_WAIT_S", "Clock", "SystemClock", "TrioClock", "from_unix", "iso", "wait_s"]

# How long an actor may sleep on a delay computed from the wall clock before it looks at
# the wall clock again. Short enough that a reminder is never noticeably late after a jump,
# long enough that an idle daemon wakes only twice a minute.
MAX_WALL_WAIT_S = 30.0


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class TrioClock:
    """Wall time = ``start`` + time elapsed on trio's clock (a MockClock in tests)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0: float | None = None

    def now(self) -> datetime:
        t = trio.current_time()
        if self._t0 is None:
            self._t0 = t
        return self._start + timedelta(seconds=t - self._t0)

    def jump(self, seconds: float) -> None:
        """Move the wall clock alone (trio's clock stands still), as an NTP step does."""
        self._start += timedelta(seconds=seconds)


def wait_s(until: datetime | None, now: datetime) -> float:
    """Seconds to sleep until the wall-clock instant ``until`` (None: nothing planned),
    capped at ``MAX_WALL_WAIT_S`` so a jump of the wall clock is noticed in time."""
    if until is None:
        return math.inf
    return min(max((until - now).total_seconds(), 0.0), MAX_WALL_WAIT_S)


def from_unix(ts: object, tz: tzinfo = UTC) -> datetime | None:
    """Stored unix seconds (Meta's timestamps) as an aware datetime, or None for a value
    outside the sane range (one stored before inputs were bounded must not crash a page
    or an actor: ``datetime.fromtimestamp(10**17)`` raises)."""
    if not isinstance(ts, int) or isinstance(ts, bool) or not unix_ok(ts):
        return None
    return datetime.fromtimestamp(ts, tz)


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
