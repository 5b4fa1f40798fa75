"""The reminder goes out at its instant, on an injected clock; and after downtime, once.

The daemon runs on a ``TrioClock`` over pytest-trio's ``mock_clock`` (rate 0): wall time
only moves when the test jumps it, while sockets and the storage thread work in real time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trio

from recado.clock import TrioClock
from tests.test_sender import book, stack
from tests.webhook_helpers import query

REMINDER = "SELECT state FROM messages WHERE kind = 'appointment_reminder'"


async def _real_pause(seconds: float = 0.3) -> None:
    """Let real work (HTTP, the storage thread) happen while virtual time stands still."""
    await trio.to_thread.run_sync(time.sleep, seconds)


async def _until(daemon, sql: str, expected: list) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):
        if query(daemon, sql) == expected:
            return
        await _real_pause(0.05)
    assert query(daemon, sql) == expected


async def test_reminder_fires_at_its_instant(
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
        due = datetime.fromisoformat(
            query(daemon, "SELECT due_at FROM messages WHERE kind = 'appointment_reminder'")[0][
                "due_at"
            ].replace("Z", "+00:00")
        )
        mock_clock.jump((due - clock.now()).total_seconds() - 2)
        await _real_pause()
        assert query(daemon, REMINDER) == [{"state": "queued"}]
        mock_clock.jump(3)
        await _until(daemon, REMINDER, [{"state": "sent"}])
        sent_at = datetime.fromisoformat(
            query(daemon, "SELECT started_at FROM message_attempts ORDER BY id DESC LIMIT 1")[0][
                "started_at"
            ].replace("Z", "+00:00")
        )
        assert due <= sent_at <= due + timedelta(seconds=2)
        assert [r.body["template"]["name"] for r in double.sends()] == [
            "aviso_de_agendamento",
            "confirmacao_de_agendamento_24h",
        ]


async def test_due_while_down_goes_out_once_at_start(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    t0 = datetime.now(UTC)
    async with stack(daemon_dir, clock=TrioClock(t0)) as (daemon, _, client):
        await book(daemon, client, apt="ahead", starts_in=timedelta(hours=30))
        await book(daemon, client, apt="passed", starts_in=timedelta(hours=25))
        await _until(daemon, "SELECT COUNT(*) AS n FROM messages WHERE state = 'sent'", [{"n": 2}])
    # Down for 26 hours: both reminders came due; one appointment is now in the past.
    later = TrioClock(t0 + timedelta(hours=26))
    async with stack(daemon_dir, clock=later) as (daemon, double, _):
        await _until(
            daemon,
            "SELECT appointment_id, state, reason_code FROM messages WHERE "
            "kind = 'appointment_reminder' ORDER BY appointment_id",
            [
                {"appointment_id": "ahead", "state": "sent", "reason_code": None},
                {
                    "appointment_id": "passed",
                    "state": "skipped",
                    "reason_code": "appointment_passed",
                },
            ],
        )
        assert len(double.sends()) == 1
