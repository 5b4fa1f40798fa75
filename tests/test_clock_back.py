"""Wall clock jumping back (QA10 finding 8): no wait lasts longer than its rule asked for.
A breaker opened "in the future" stays open at most ``open_s`` more; a delivery retry and a
message retry planned before the step wait at most their own delay from the moment the
step is seen, not the hour the wall clock needs to catch up."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import trio
from hypothesis import given
from hypothesis import strategies as st

from recado.clock import MAX_WALL_WAIT_S, TrioClock
from recado.rules import breaker as br
from recado.rules.retry_schedule import rebased
from recado.runtime.context import Daemon
from tests.hub_helpers import hub_stack, real_pause
from tests.test_sender import book, stack
from tests.webhook_helpers import query

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
seconds = st.floats(0, 10 * 86400, allow_nan=False)


@given(delay=seconds, back=seconds, later=seconds)
def test_a_rebased_wait_is_never_longer_than_asked(delay: float, back: float, later: float) -> None:
    planned, now = T0, T0 - timedelta(seconds=back)
    due = planned + timedelta(seconds=delay)
    moved = rebased(due, planned, now)
    if now == planned:  # below a microsecond: no step at all
        assert moved is None
    else:
        assert moved is not None and moved - now == due - planned
    # Seen after it was planned (no step back): nothing moves.
    assert rebased(due, planned, planned + timedelta(seconds=later)) is None


@given(open_s=st.floats(1, 3600), back=st.floats(1, 30 * 86400))
def test_a_breaker_opened_in_the_future_reopens_within_open_s(open_s: float, back: float) -> None:
    opened = br.Breaker(br.OPEN, 3, T0)
    now = T0 - timedelta(seconds=back)
    held = br.tick(opened, now, open_s)
    assert held.state == br.OPEN and held.opened_at == now
    assert br.tick(held, now + timedelta(seconds=open_s), open_s).state == br.HALF_OPEN


async def _rows(daemon: Daemon, sql: str, expected: list[dict[str, Any]]) -> None:
    """Real time passes (HTTP, the storage thread) while trio's mock clock stands still."""
    for _ in range(100):
        if query(daemon, sql) == expected:
            return
        await trio.to_thread.run_sync(time.sleep, 0.05)
    assert query(daemon, sql) == expected


async def _settle() -> None:
    await real_pause()
    await trio.to_thread.run_sync(time.sleep, 0.1)


async def test_a_delivery_retry_waits_its_minute_after_a_step_back(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:finance:POST:/payments"]\n'
    clock = TrioClock(datetime.now(UTC))
    async with hub_stack(daemon_dir, ("finance",), flows, clock=clock) as hub:
        hub.services["finance"].fail(503)
        await hub.event("pay_1", "payment.received")
        await hub.until("SELECT state FROM deliveries", [{"state": "retrying"}])
        hub.services["finance"].ok()
        await _settle()
        clock.jump(-3600)
        await _settle()
        mock_clock.jump(MAX_WALL_WAIT_S)  # the worker looks again and sees the step
        await _settle()
        mock_clock.jump(70)  # the first retry: 1 minute ± 10 %
        await hub.until("SELECT state FROM deliveries", [{"state": "done"}])


async def test_a_breaker_stays_open_its_open_s_after_a_step_back(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:finance:POST:/payments"]\n'
    clock = TrioClock(datetime.now(UTC))
    options = {"threshold": 1, "open_s": 10}
    async with hub_stack(daemon_dir, ("finance",), flows, clock=clock, **options) as hub:
        hub.services["finance"].fail(500)
        await hub.event("pay_1", "payment.received")
        await hub.until("SELECT state FROM breakers", [{"state": "open"}])
        hub.services["finance"].ok()
        await _settle()
        clock.jump(-3600)
        await _settle()
        mock_clock.jump(MAX_WALL_WAIT_S)
        await _settle()
        mock_clock.jump(11)
        await _settle()
        mock_clock.jump(70)
        await hub.until("SELECT state FROM deliveries", [{"state": "done"}])
        await hub.until("SELECT state FROM breakers", [{"state": "closed"}])


async def test_a_message_retry_is_not_held_an_hour_by_a_step_back(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with stack(daemon_dir, clock=clock) as (daemon, double, client):
        double.answer_next(1, 503)
        await book(daemon, client)
        sql = "SELECT state, attempts FROM messages WHERE kind = 'appointment_created'"
        await _rows(daemon, sql, [{"state": "queued", "attempts": 1}])
        clock.jump(-3600)
        await _settle()
        mock_clock.jump(MAX_WALL_WAIT_S)
        await _settle()
        mock_clock.jump(1)  # the retry's own wait (at most retry_cap_s = 0.2 s here)
        await _rows(daemon, sql, [{"state": "sent", "attempts": 2}])
        assert len(double.sends()) == 2
