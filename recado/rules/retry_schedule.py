"""When to try again: pure schedules, with the randomness passed in.

- Messages (docs/reference.md §6.5, ``whatsapp.retry_base_s``/``retry_cap_s``): exponential backoff
  ``base × 2^(attempt−1)`` capped, with full jitter; Meta's pair rate limit (131056) asks for
  4^X seconds instead, and long hints (hourly limits) wait at least a quarter of an hour;
  after ``whatsapp.max_attempts`` sends the job is dead.
- Hub deliveries (docs/reference.md §8.2): 1, 2, 5, 10, 30, 60 minutes (then 60) with ±10 % jitter;
  a service's ``Retry-After`` is honoured when it asks for longer, up to an hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

HUB_STEPS_MIN = (1, 2, 5, 10, 30, 60)
HUB_JITTER = 0.10
RETRY_AFTER_CAP_S = 3600.0
LONG_BACKOFF_MIN_S = 900.0


def message_backoff(
    attempt: int, base_s: float, cap_s: float, rand: float, hint: str = "normal"
) -> float:
    """Seconds to wait after the ``attempt``-th failure (1-based); ``rand`` in [0, 1)."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if hint == "pair":
        # 4^X s with X = 0, 1, 2 …, as Meta advises for 131056; no jitter below a second.
        return min(4.0 ** (attempt - 1), cap_s)
    ceiling = min(base_s * 2 ** (attempt - 1), cap_s)
    if hint == "short":
        ceiling = min(ceiling, max(base_s, 5.0))
    delay = float(ceiling * rand)
    if hint == "long":
        delay = max(delay, min(LONG_BACKOFF_MIN_S, cap_s))
    return delay


def message_step(
    attempt: int,
    max_attempts: int,
    base_s: float,
    cap_s: float,
    rand: float,
    hint: str = "normal",
) -> float | None:
    """After the ``attempt``-th failed send (1-based) that may be retried: seconds until the
    next one, or None when the attempts are spent (the job is dead)."""
    if attempt >= max_attempts:
        return None
    return message_backoff(attempt, base_s, cap_s, rand, hint)


def delivery_delay(attempt: int, rand: float, retry_after_s: float | None = None) -> timedelta:
    """Delay after the ``attempt``-th failed delivery; ``rand`` in [0, 1) gives ±10 %."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    minutes = HUB_STEPS_MIN[min(attempt, len(HUB_STEPS_MIN)) - 1]
    seconds = minutes * 60 * (1 - HUB_JITTER + 2 * HUB_JITTER * rand)
    if retry_after_s is not None:
        seconds = max(seconds, min(retry_after_s, RETRY_AFTER_CAP_S))
    return timedelta(seconds=seconds)


def delivery_step(
    retryable: bool,
    attempts: int,
    max_attempts: int,
    rand: float,
    retry_after_s: float | None = None,
) -> tuple[str, timedelta | None]:
    """After a failed attempt (``attempts`` made so far): ``("retrying", delay)`` or
    ``("dead", None)`` when the failure is permanent or the attempts are spent."""
    if not retryable or attempts >= max_attempts:
        return "dead", None
    return "retrying", delivery_delay(attempts, rand, retry_after_s)


def rebased(due: datetime, planned_at: datetime, now: datetime) -> datetime | None:
    """A wait planned at ``planned_at`` to end at ``due``, seen at ``now``: when the wall
    clock went back (``planned_at`` is after ``now``) the wait restarts from ``now`` with the
    length the rule asked for, never longer; None when nothing is to change."""
    if planned_at <= now:
        return None
    return now + max(due - planned_at, timedelta(0))
