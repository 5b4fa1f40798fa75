"""A retry re-checks everything the first send checked, and nothing called off is sent
(issue: hardening, item 3)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import trio

from recado.clock import parse_iso
from tests.conftest import running_daemon
from tests.test_sender import book, notice, notice_reaches, settle, stack
from tests.webhook_helpers import query


def _reminder(daemon: object) -> dict[str, object]:
    return query(daemon, "SELECT * FROM messages WHERE kind = 'appointment_reminder'")[0]  # type: ignore[arg-type]


async def test_retrying_a_message_of_a_canceled_appointment_is_refused(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "max_attempts = 1\n") as (daemon, double, client):
        double.fail_next(1, 131000, http_status=500)
        await book(daemon, client)
        await notice_reaches(daemon, "dead")
        await book(daemon, client, etype="appointment.canceled")
        op, headers = daemon.listeners["operator"].url, {"X-API-Key": daemon.api_key}
        for job in (notice(daemon), _reminder(daemon)):
            refused = await client.post(f"{op}/messages/{job['id']}/retry", headers=headers)
            assert refused.status_code == 409, refused.text
            assert refused.json()["reason"] == "appointment_canceled"
            assert "cancelado" in refused.json()["detail"]
            page = await client.get(f"{op}/messages/{job['id']}")
            assert 'id="retry"' not in page.text
            assert "Não pode ser reenviada: O agendamento foi cancelado" in page.text
        await trio.sleep(0.3)
        assert len(double.sends()) == 1
        assert [a["action"] for a in query(daemon, "SELECT action FROM audit_log")] == []


async def test_a_moved_appointment_old_reminder_cannot_be_retried(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        old = _reminder(daemon)
        await book(daemon, client, etype="appointment.rescheduled", starts_in=timedelta(days=3))
        op, headers = daemon.listeners["operator"].url, {"X-API-Key": daemon.api_key}
        refused = await client.post(f"{op}/messages/{old['id']}/retry", headers=headers)
        assert (refused.status_code, refused.json()["reason"]) == (409, "appointment_changed")


async def test_a_job_called_off_while_in_flight_is_not_sent_again(daemon_dir: Path) -> None:
    """The appointment is canceled while its notice is being sent and Meta answers 500:
    the retry must not send a notice of a canceled appointment."""
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(1, 131000, http_status=500, after_s=1.0)
        await book(daemon, client)
        await notice_reaches(daemon, "sending")
        await book(daemon, client, etype="appointment.canceled")
        await notice_reaches(daemon, "canceled")
        job = notice(daemon)
        assert job["reason_code"] == "appointment_canceled"
        await trio.sleep(0.3)
        assert len(double.sends_for(str(job["id"]))) == 1


async def test_a_retried_reminder_waits_for_its_time(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        await book(daemon, client, starts_in=timedelta(days=3))
        await notice_reaches(daemon, "sent")
        reminder = _reminder(daemon)
        op, headers = daemon.listeners["operator"].url, {"X-API-Key": daemon.api_key}
        discarded = await client.post(f"{op}/messages/{reminder['id']}/discard", headers=headers)
        assert discarded.json()["state"] == "canceled"
        retried = await client.post(f"{op}/messages/{reminder['id']}/retry", headers=headers)
        assert retried.json()["state"] == "queued"
        row = _reminder(daemon)
        apt = query(daemon, "SELECT starts_at FROM appointments")[0]
        expected_due = parse_iso(str(apt["starts_at"])) - timedelta(hours=24)
        assert parse_iso(str(row["due_at"])) == expected_due
        await trio.sleep(0.5)
        assert _reminder(daemon)["state"] == "queued"
        assert double.sends_for(str(reminder["id"])) == []


async def test_leaving_disabled_mode_plans_what_was_accepted_meanwhile(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir, mode="disabled") as daemon, httpx.AsyncClient() as client:
        public, op = daemon.listeners["public"].url, daemon.listeners["operator"].url
        body = {
            "id": "evt-1",
            "type": "appointment.created",
            "occurred_at": "2026-11-24T10:00:00-03:00",
            "data": {
                "appointment_id": "apt-9",
                "client": {"name": "Bia", "phone": "+5511987654321"},
                "service": "Corte",
                "starts_at": "2099-01-10T15:00:00-03:00",
            },
        }
        headers = {"X-API-Key": daemon.api_key}
        accepted = await client.post(f"{public}/api/v1/events", json=body, headers=headers)
        assert accepted.status_code == 202
        assert accepted.json()["messages_planned"] == 0
        assert "no WhatsApp messages were planned" in accepted.json()["detail"]
        dash = (await client.get(f"{op}/dashboard.json")).json()
        reason = next(r for r in dash["reasons"] if r["code"] == "mode_disabled")
        assert "1 agendamento(s) futuro(s) ainda sem mensagens" in reason["text"]
        assert query(daemon, "SELECT COUNT(*) AS n FROM messages") == [{"n": 0}]

        config = daemon.config_path
        config.write_text(config.read_text().replace('mode = "disabled"', 'mode = "dry_run"'))
        reloaded = await client.post(f"{op}/config/reload", headers=headers)
        assert reloaded.json()["applied"] == ["whatsapp.mode"]
        await settle(
            daemon,
            "SELECT kind, state FROM messages ORDER BY kind",
            [
                {"kind": "appointment_created", "state": "sent"},
                {"kind": "appointment_reminder", "state": "queued"},
            ],
        )
        alert = query(daemon, "SELECT severity, text_pt FROM alerts WHERE code='jobs_planned_late'")
        assert alert[0]["severity"] == "info" and "1 agendamento(s)" in str(alert[0]["text_pt"])
        dash = (await client.get(f"{op}/dashboard.json")).json()
        assert "mode_disabled" not in [r["code"] for r in dash["reasons"]]
