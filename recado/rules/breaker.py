"""A circuit breaker per service (docs/reference.md §8.3) as a pure state machine.

``closed`` lets every delivery through and counts consecutive failures; at
``failure_threshold`` it turns ``open`` and nothing goes through for ``open_s``; then it is
``half_open`` and exactly one delivery goes as a probe: success closes it, failure opens it
again for another ``open_s``. Time is passed in; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from recado.rules.states import CLOSED as CLOSED
from recado.rules.states import HALF_OPEN as HALF_OPEN
from recado.rules.states import OPEN as OPEN


@dataclass(frozen=True)
class Breaker:
    state: str = CLOSED
    failure_count: int = 0
    opened_at: datetime | None = None
    # Not persisted: after a restart a half-open breaker simply sends a new probe.
    probing: bool = False

    def reopens_at(self, open_s: float) -> datetime | None:
        """When an open breaker may half-open; None unless open."""
        if self.state != OPEN or self.opened_at is None:
            return None
        return self.opened_at + timedelta(seconds=open_s)


def tick(b: Breaker, now: datetime, open_s: float) -> Breaker:
    """Move an open breaker to half-open once its time is up. An opening time after ``now``
    means the wall clock went back: it becomes ``now``, so the breaker stays open at most
    ``open_s`` more instead of until the wall clock catches up (an hour, for a 1 h step)."""
    if b.opened_at is not None and b.opened_at > now:
        b = replace(b, opened_at=now)
    due = b.reopens_at(open_s)
    if due is not None and now >= due:
        return replace(b, state=HALF_OPEN, probing=False)
    return b


def admit(b: Breaker, now: datetime, open_s: float) -> tuple[bool, Breaker]:
    """May one delivery go now? In half-open the first one admitted is the probe."""
    b = tick(b, now, open_s)
    if b.state == CLOSED:
        return True, b
    if b.state == HALF_OPEN and not b.probing:
        return True, replace(b, probing=True)
    return False, b


def on_success(b: Breaker) -> Breaker:
    return Breaker(CLOSED, 0, None, False)


def on_failure(b: Breaker, now: datetime, threshold: int) -> Breaker:
    if b.state == HALF_OPEN:
        return Breaker(OPEN, b.failure_count + 1, now, False)
    if b.state == OPEN:
        # A delivery admitted before the breaker opened failed too: keep the opening time.
        return replace(b, failure_count=b.failure_count + 1)
    count = b.failure_count + 1
    if count >= threshold:
        return Breaker(OPEN, count, now, False)
    return replace(b, failure_count=count)


def on_abandoned(b: Breaker) -> Breaker:
    """The probe never finished (the daemon stopped): let another one go."""
    return replace(b, probing=False)


def reset(b: Breaker) -> Breaker:
    return Breaker()
