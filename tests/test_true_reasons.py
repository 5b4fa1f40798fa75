"""What the dashboard and the daily report say is what happened (QA10 finding 17): sync
failures are counted over 24 h, not "in a row"; a webhook body that failed is a reason; a
dry run's message is never reported as sent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recado.rules.health import HealthFacts, evaluate
from tests.test_sender import book, notice_reaches, stack
from tests.webhook_helpers import query


def test_sync_failures_are_said_to_be_in_24_hours_not_in_a_row() -> None:
    health = evaluate(HealthFacts(mode="dry_run", sync_recent_failures={"crm_op": 30}))
    (reason,) = [r for r in health.reasons if r.code == "sync_failures"]
    pt, en = reason.text("pt-BR"), reason.text("en")
    assert "30 vezes nas últimas 24 h" in pt and "seguidas" not in pt
    assert "30 times in the last 24 h" in en and "in a row" not in en


def test_a_failed_webhook_body_is_a_reason_that_links_to_it() -> None:
    assert not [r for r in evaluate(HealthFacts(mode="dry_run")).reasons if r.severity != "info"]
    health = evaluate(HealthFacts(mode="dry_run", webhooks_failed=2))
    (reason,) = [r for r in health.reasons if r.code == "webhooks_failed"]
    assert health.status == "degraded" and reason.href == "/webhooks?state=failed"
    assert "2 webhook(s)" in reason.text("pt-BR") and "replay" in reason.text("en")


async def test_a_failed_body_on_the_inbox_shows_on_the_dashboard(daemon_dir: Path) -> None:
    async with stack(daemon_dir, mode="dry_run") as (daemon, _double, client):
        op = daemon.listeners["operator"].url
        codes = [r["code"] for r in (await client.get(f"{op}/dashboard.json")).json()["reasons"]]
        assert "webhooks_failed" not in codes
        # A body whose processing raised is kept with its error (the webhook processor's
        # set-aside); written here directly, the way that processor leaves it.
        await daemon.storage.write(_failed_body)
        dash = (await client.get(f"{op}/dashboard.json")).json()
        assert "webhooks_failed" in [r["code"] for r in dash["reasons"]]
        assert dash["status"] == "degraded"


def _failed_body(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO webhook_inbox (received_at, body, body_sha256, error, failed_at) "
        "VALUES ('2026-11-30T10:00:00.000Z', '{}', '', 'boom', '2026-11-30T10:00:00.000Z')"
    )


async def test_the_daily_report_never_calls_a_dry_run_send_sent(daemon_dir: Path) -> None:
    async with stack(daemon_dir, mode="dry_run") as (daemon, double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        states: dict[str, int] = {}
        for row in query(daemon, "SELECT state FROM messages WHERE dry_run = 1"):
            states[row["state"]] = states.get(row["state"], 0) + 1
        assert states["sent"] >= 1
        op = daemon.listeners["operator"].url
        report = (await client.get(f"{op}/report/daily.json")).json()
        # A reminder still queued is not decided yet (dry_run is set when it is handled).
        assert "sent" not in report["messages"]
        assert report["dry_run_messages"] == states
        page = (await client.get(f"{op}/report/daily")).text
        assert "simulada (não enviada)" in page
        assert "enviada<" not in page
        assert double.requests == []
