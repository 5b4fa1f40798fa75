"""Time and waiting (issue 10): what is due goes out when its time comes even if the wall
clock jumped forward, and a hung send cut by the timeout says it timed out.

Each actor computes its sleep from the wall clock but sleeps on trio's monotonic clock. Here
the wall clock jumps alone (``TrioClock.jump``, as an NTP step does) past what is due, and
trio's clock then moves by at most ``MAX_WALL_WAIT_S``: the due thing must have happened.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import trio

from recado.clock import MAX_WALL_WAIT_S, TrioClock, parse_iso
from recado.runtime.context import Daemon
from recado.testing.service_double import ServiceDouble
from tests.hub_helpers import hub_stack, real_pause
from tests.reasons import reason_in
from tests.test_sender import book, stack
from tests.webhook_helpers import query

REMINDER = "SELECT state FROM messages WHERE kind = 'appointment_reminder'"
NOTICE = "SELECT state, reason_code, reason_json FROM messages WHERE kind = 'appointment_created'"


async def _until(daemon: Daemon, sql: str, check: Any, tries: int = 100) -> list[dict[str, Any]]:
    """Real time passes (HTTP, the storage thread) while trio's mock clock stands still."""
    for _ in range(tries):
        rows = query(daemon, sql)
        if check(rows) if callable(check) else rows == check:
            return rows
        await trio.to_thread.run_sync(time.sleep, 0.05)
    rows = query(daemon, sql)
    assert check(rows) if callable(check) else rows == check, rows
    return rows


async def test_a_reminder_goes_out_after_a_forward_jump(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with stack(daemon_dir, clock=clock) as (daemon, double, client):
        await book(daemon, client, starts_in=timedelta(days=2))
        await _until(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_created'",
            [{"state": "sent"}],
        )
        (row,) = query(daemon, "SELECT due_at FROM messages WHERE kind = 'appointment_reminder'")
        await real_pause()
        clock.jump((parse_iso(row["due_at"]) - clock.now()).total_seconds() + 1)
        await real_pause()
        mock_clock.jump(MAX_WALL_WAIT_S)
        await _until(daemon, REMINDER, [{"state": "sent"}])
        assert len(double.sends()) == 2


async def test_a_delayed_delivery_goes_after_a_forward_jump(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = (
        '[[flows]]\nevent = "service.completed"\n'
        'actions = [{action = "http:ops:POST:/feedback", delay = "2h"}]\n'
    )
    clock = TrioClock(datetime.now(UTC))
    async with hub_stack(daemon_dir, ("ops",), flows, clock=clock) as hub:
        await hub.event("svc_1", "service.completed")
        await hub.until("SELECT state FROM deliveries", [{"state": "pending"}])
        await real_pause()  # the worker is asleep, its wait computed before the jump
        clock.jump(2 * 3600 + 1)
        await real_pause()
        mock_clock.jump(MAX_WALL_WAIT_S)
        await hub.until("SELECT state FROM deliveries", [{"state": "done"}])


async def test_an_open_breaker_half_opens_after_a_forward_jump(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:finance:POST:/payments"]\n'
    clock = TrioClock(datetime.now(UTC))
    options = {"threshold": 1, "open_s": 3600}
    async with hub_stack(daemon_dir, ("finance",), flows, clock=clock, **options) as hub:
        hub.services["finance"].fail(500)
        await hub.event("pay_1", "payment.received")
        await hub.until("SELECT state FROM breakers", [{"state": "open"}])
        hub.services["finance"].ok()
        await real_pause()
        clock.jump(3601)
        await real_pause()
        mock_clock.jump(MAX_WALL_WAIT_S)
        await hub.until("SELECT state FROM deliveries", [{"state": "done"}])
        await hub.until("SELECT state FROM breakers", [{"state": "closed"}])


async def test_a_sync_job_fires_after_a_forward_jump(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    sync = (
        '[[sync]]\nname = "crm_ops"\nschedule = "*/5 * * * *"\n'
        'source = "crm:GET:/contracts?since={cursor}"\ntarget = "ops:POST:/schedules"\n'
    )
    clock = TrioClock(datetime(2026, 11, 26, 12, 1, tzinfo=UTC))
    crm = ServiceDouble("crm")
    crm.pages = {"": {"items": [{"id": "k1"}], "next_cursor": None}}
    doubles = {"crm": crm, "ops": ServiceDouble("ops")}
    async with hub_stack(daemon_dir, extra=sync, clock=clock, doubles=doubles) as hub:
        await real_pause()
        assert query(hub.daemon, "SELECT id FROM sync_runs") == []
        clock.jump(3600)
        await real_pause()
        mock_clock.jump(MAX_WALL_WAIT_S)
        await hub.until("SELECT status FROM sync_runs", [{"status": "done"}])


async def test_a_hung_send_cut_by_the_timeout_is_a_timeout(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with stack(daemon_dir, clock=TrioClock(datetime.now(UTC))) as (daemon, double, client):
        double.hang_next(1, 3600)
        await book(daemon, client)
        for _ in range(100):
            if double.sends():
                break
            await real_pause(0.05)
        # Past the Graph client's 15 s and the daemon's 5 s grace: only the timeout cut it.
        mock_clock.jump(16)
        (row,) = await _until(daemon, NOTICE, lambda rows: rows[0]["state"] == "uncertain")
        assert row["reason_code"] == "unknown_read_timeout"
        reason = row["reason_json"]
        assert reason_in(reason, "en").startswith(
            "The request to WhatsApp timed out: no answer within 15 s."
        )
        assert reason_in(reason, "pt-BR").startswith("O pedido ao WhatsApp excedeu o tempo limite")


async def test_a_send_cut_by_the_daemon_stopping_says_so(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with stack(daemon_dir, clock=TrioClock(datetime.now(UTC))) as (daemon, double, client):
        double.hang_next(1, 3600)
        await book(daemon, client)
        for _ in range(100):
            if double.sends():
                break
            await real_pause(0.05)
        daemon.stopping.set()
        await real_pause()  # the daemon starts stopping: the grace period starts now
        mock_clock.jump(6)  # past the 5 s grace, before the client's timeout
        (row,) = await _until(daemon, NOTICE, lambda rows: rows[0]["state"] == "uncertain")
        assert row["reason_code"] == "unknown_stopped"
        assert reason_in(row["reason_json"], "en").startswith("The daemon stopped during the send.")
