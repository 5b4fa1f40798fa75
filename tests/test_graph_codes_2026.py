"""The error codes of 2025–2026 against the daemon and the Graph double: what each does to
the message (issue 12, item 6; docs/whatsapp-notes.md §5)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from recado.clock import parse_iso
from tests.reasons import reason_in
from tests.test_sender import book, notice, notice_reaches, settle, stack
from tests.webhook_helpers import query


async def test_131049_is_tried_again_only_after_a_day(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(2, 131049)
        await book(daemon, client)
        await settle(
            daemon,
            "SELECT state, reason_code FROM messages WHERE kind = 'appointment_created'",
            [{"state": "queued", "reason_code": "graph_131049"}],
        )
        job = notice(daemon)
        assert parse_iso(job["due_at"]) - parse_iso(job["updated_at"]) >= timedelta(hours=24)
        assert "24 h" in reason_in(job["reason_json"], "pt-BR")
        assert len(double.sends_for(job["id"])) == 1


async def test_a_dead_131049_retried_by_the_operator_waits_for_its_day(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "max_attempts = 1\n") as (daemon, double, client):
        double.fail_next(1, 131049)
        await book(daemon, client)
        await notice_reaches(daemon, "dead")
        job = notice(daemon)
        assert job["reason_code"] == "graph_131049"
        op, headers = daemon.listeners["operator"].url, {"X-API-Key": daemon.api_key}
        retried = await client.post(f"{op}/messages/{job['id']}/retry", headers=headers)
        assert retried.status_code == 200, retried.text
        due = parse_iso(notice(daemon)["due_at"])
        assert due >= parse_iso(job["updated_at"]) + timedelta(hours=24)
        assert len(double.sends_for(job["id"])) == 1


async def test_131042_fails_with_a_critical_alert_and_131050_never_again(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(1, 131042, http_status=403)
        await book(daemon, client)
        await notice_reaches(daemon, "failed")
        alerts = query(daemon, "SELECT severity, code, subject FROM alerts")
        assert alerts == [
            {"severity": "critical", "code": "graph_131042", "subject": notice(daemon)["id"]}
        ]
        double.fail_next(1, 131050)
        await book(daemon, client, apt="apt-2")
        await settle(
            daemon,
            "SELECT state, reason_code FROM messages WHERE appointment_id = 'apt-2' "
            "AND kind = 'appointment_created'",
            [{"state": "failed", "reason_code": "graph_131050"}],
        )
        double.fail_next(1, 131063)
        await book(daemon, client, apt="apt-3")
        await settle(
            daemon,
            "SELECT state FROM messages WHERE appointment_id = 'apt-3' "
            "AND kind = 'appointment_created'",
            [{"state": "failed"}],
        )
        codes = [a["code"] for a in query(daemon, "SELECT code FROM alerts ORDER BY id")]
        assert codes == ["graph_131042", "graph_131063"]  # 131050 needs no person
