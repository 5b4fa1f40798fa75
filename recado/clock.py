"""Wall-clock time as an injected object, so time rules are testable without sleeping.

Actors ask ``clock.now()`` for the date and time and sleep with trio; tests hand the daemon a
``TrioClock`` whose wall time advances with trio's (mockable) clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import trio


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


def iso(dt: datetime) -> str:
    """The one text form of instants in the database: UTC, milliseconds, sortable."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
