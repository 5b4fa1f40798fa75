"""Every way storage itself calls a message off or sets it aside leaves a reason the pages read
as a sentence (found by tests/test_message_lifecycle_machine.py: a reminder canceled with its
appointment showed no reason, and was stored as "moved to another time")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recado.runtime.context import Daemon
from recado.storage.sending import recover_interrupted
from recado.testing import webhook_bodies as wb
from tests.test_sender import book, notice_reaches, stack
from tests.webhook_helpers import post_body, query


async def _page(daemon: Daemon, client: Any, kind: str) -> dict[str, Any]:
    (job,) = query(daemon, "SELECT id FROM messages WHERE kind = ?", kind)
    op = daemon.listeners["operator"].url
    answer = await client.get(f"{op}/messages/{job['id']}.json")
    return answer.json()["message"]  # type: ignore[no-any-return]


async def test_a_reminder_canceled_with_its_appointment_says_so(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await book(daemon, client, starts_in=timedelta(days=3))
        await notice_reaches(daemon, "sent")
        await book(daemon, client, etype="appointment.canceled")
        message = await _page(daemon, client, "appointment_reminder")
        assert (message["state"], message["reason_code"]) == ("canceled", "appointment_canceled")
        assert message["reason_text"] == "O agendamento foi cancelado; a mensagem não foi enviada."


async def test_a_reminder_of_the_old_time_says_the_appointment_moved(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await book(daemon, client, starts_in=timedelta(days=3))
        await notice_reaches(daemon, "sent")
        await book(daemon, client, etype="appointment.rescheduled", starts_in=timedelta(days=4))
        rows = query(
            daemon,
            "SELECT id FROM messages WHERE kind = 'appointment_reminder' AND state = 'canceled'",
        )
        op = daemon.listeners["operator"].url
        message = (await client.get(f"{op}/messages/{rows[0]['id']}.json")).json()["message"]
        assert message["reason_code"] == "appointment_changed"
        assert "mudou de horário" in message["reason_text"]


async def test_a_send_cut_by_a_crash_says_why(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "kill_switch = true\n") as (daemon, _double, client):
        await book(daemon, client, starts_in=timedelta(hours=3))
        # The notice as a crash mid-send leaves it, and as the next start finds it.
        await daemon.storage.write(
            lambda conn: conn.execute(
                "UPDATE messages SET state = 'sending' WHERE kind = 'appointment_created'"
            )
        )
        now = datetime.now(UTC)
        await daemon.storage.write(recover_interrupted, now, now + timedelta(hours=1))
        message = await _page(daemon, client, "appointment_created")
        assert (message["state"], message["reason_code"]) == ("uncertain", "unknown_crash")
        assert message["reason_text"] and "nunca é reenviada" in message["reason_text"]


async def test_a_send_never_confirmed_says_why_it_is_dead(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "uncertain_timeout_s = 0.3\n") as (daemon, double, client):
        double.drop_next(1)
        await book(daemon, client, starts_in=timedelta(hours=3))
        await notice_reaches(daemon, "dead")
        message = await _page(daemon, client, "appointment_created")
        assert message["reason_code"] == "outcome_unknown"
        assert message["reason_text"] and "nenhum status" in message["reason_text"].lower()


async def test_a_message_meta_reports_failed_says_why(daemon_dir: Path) -> None:
    """With Meta's error (read as its catalogue says) or without one (a sentence saying so)."""
    errors = [wb.graph_error(131047, "Re-engagement message", "More than 24 hours")]
    for apt, given, code, words in (
        ("apt-1", errors, "graph_131047", "24"),
        ("apt-2", None, "status_failed_no_code", "sem dizer o motivo"),
    ):
        async with stack(daemon_dir / apt) as (daemon, _double, client):
            await book(daemon, client, apt=apt)
            await notice_reaches(daemon, "sent")
            (job,) = query(
                daemon, "SELECT id, wamid FROM messages WHERE kind = 'appointment_created'"
            )
            change = wb.status(job["wamid"], "failed", errors=given)
            answer = await post_body(daemon, client, wb.envelope([change]))
            assert answer.status_code == 200
            await daemon.commands.webhooks.drain()
            message = await _page(daemon, client, "appointment_created")
            assert (message["state"], message["reason_code"]) == ("failed", code)
            assert message["reason_text"] and words in message["reason_text"]
