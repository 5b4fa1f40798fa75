"""Alerts and incident changes reach people: each is an internal event fanned out through
``[[flows]]`` with the hub's retries, exactly once; an action written ``body = "chat"`` posts
a Slack-style ``{"text": ...}`` in pt-BR with a link to the page, another the raw envelope."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import trio.testing

from tests.incident_helpers import CHAT_FLOW, incident_stack

FLOWS = (
    CHAT_FLOW.format(event="incident.opened")
    + CHAT_FLOW.format(event="incident.escalated")
    + CHAT_FLOW.format(event="incident.resolved")
    + CHAT_FLOW.format(event="alert.opened")
    + CHAT_FLOW.format(event="alert.resolved")
    + '[[flows]]\nevent = "incident.updated"\nactions = ["http:chat:POST:/raw"]\n'
)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
BASE = 'operator_base_url = "https://painel.estudio.example"\n'


async def test_an_opened_incident_reaches_a_slack_style_webhook_with_retries(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, flows=FLOWS, http_toml=BASE) as s:
        s.chat.fail(503)
        incident_id = (
            await s.post("/incidents", {"severity": "sev2", "title": "WhatsApp lento"})
        ).json()["id"]
        key = f"incident:{incident_id}:opened:http:chat:POST:/hook"

        def tries() -> list[str]:
            return [r.answered for r in s.chat.received() if r.key == key]

        await s.until(lambda: len(tries()) >= 2, within_s=10 * 60, step=15)
        s.chat.ok()
        await s.until(lambda: "ok" in tries(), within_s=30 * 60, step=15)
        opened = [r for r in s.chat.received() if r.key == key]
        assert [r.answered for r in opened][:2] == ["http 503", "http 503"]
        assert [r.answered for r in opened][-1] == "ok"
        body = opened[-1].body
        assert list(body) == ["text"]
        assert body["text"].startswith(
            f"🚨 Incidente aberto #{incident_id} (sev2, P2): WhatsApp lento"
        )
        assert "Estado: aberto" in body["text"]
        assert body["text"].endswith(f"https://painel.estudio.example/incidents/{incident_id}")
        attempts = s.rows(
            "SELECT d.state, COUNT(a.id) AS n FROM deliveries d JOIN delivery_attempts a "
            "ON a.delivery_id = d.id WHERE d.event_id = ? GROUP BY d.id",
            f"incident:{incident_id}:opened",
        )
        assert attempts[0]["state"] == "done" and attempts[0]["n"] == len(opened)


async def test_each_alert_and_incident_change_is_one_event(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, flows=FLOWS, http_toml=BASE) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev1", "title": "Fora"})).json()[
            "id"
        ]
        await s.post(f"/incidents/{incident_id}/update", {"note": "Investigando"})
        await s.post(
            f"/incidents/{incident_id}/resolve",
            {"root_cause": "x", "corrective_actions": "y", "force": True, "reason": "teste"},
        )
        (alert,) = s.rows("SELECT id FROM alerts WHERE code = 'incident_open'")
        await s.until(lambda: len(s.rows("SELECT 1 FROM deliveries WHERE state = 'done'")) == 6, 60)
        await s.advance(5 * 60, step=20)
        events = s.rows("SELECT id, type, source FROM events ORDER BY received_at, id")
        assert sorted(e["id"] for e in events) == sorted(
            [
                f"incident:{incident_id}:opened",
                f"incident:{incident_id}:escalated",
                f"incident:{incident_id}:updated:1",
                f"incident:{incident_id}:resolved",
                f"alert:{alert['id']}:opened",
                f"alert:{alert['id']}:resolved",
            ]
        )
        assert {e["source"] for e in events} == {"internal"}
        # Each delivered once; the update went out as the raw envelope.
        keys = s.chat.keys()
        assert len(keys) == len(set(keys)) == 6
        (raw,) = [r for r in s.chat.received() if r.path == "/raw"]
        assert raw.body["type"] == "incident.updated"
        assert raw.body["data"]["incident_id"] == incident_id
        assert raw.body["data"]["note"] == "Investigando"
        escalated = next(r for r in s.chat.received() if "escalated" in (r.key or ""))
        assert "sev1" in escalated.body["text"] and "acionar" in escalated.body["text"]
        alert_text = next(
            r
            for r in s.chat.received()
            if r.key == f"alert:{alert['id']}:opened:http:chat:POST:/hook"
        )
        assert alert_text.body["text"].startswith("Alerta (🔴 crítico) em 01/12/2026 10:00")
        assert alert_text.body["text"].endswith("https://painel.estudio.example/alerts")


async def test_a_missed_update_reaches_the_chat_once_per_due_time(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = CHAT_FLOW.format(event="incident.update_due")
    async with incident_stack(daemon_dir, mock_clock, flows=flows, http_toml=BASE) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev2", "title": "X"})).json()["id"]
        due = s.now() + timedelta(minutes=30)

        def reminders() -> list[dict[str, Any]]:
            return [r.body for r in s.chat.received() if r.answered == "ok"]

        await s.advance(29 * 60, step=60)
        assert reminders() == []
        await s.until(lambda: bool(reminders()), within_s=2 * 60)
        await s.advance(10 * 60, step=30)
        (body,) = reminders()
        assert body["text"].startswith(f"⏰ Atualização do incidente atrasada #{incident_id}")
        assert (
            f"Atualização devida desde: {due.astimezone(SAO_PAULO):%d/%m/%Y %H:%M}" in body["text"]
        )
        # An update sets the next due time; missing that one is a second reminder.
        await s.post(f"/incidents/{incident_id}/update", {"note": "seguimos"})
        await s.advance(35 * 60, step=60)
        await s.until(lambda: len(reminders()) == 2, within_s=2 * 60)
        ids = s.rows("SELECT id FROM events WHERE type = 'incident.update_due' ORDER BY id")
        assert len(ids) == len({r["id"] for r in ids}) == 2


async def test_internal_events_are_never_accepted_from_outside(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, flows=FLOWS) as s:
        response = await s.client.post(
            f"{s.public}/api/v1/events",
            json={
                "id": "evt-fake",
                "type": "incident.opened",
                "occurred_at": "2026-12-01T10:00:00-03:00",
                "data": {"id": "x"},
            },
            headers={"X-API-Key": s.daemon.api_key},
        )
        assert response.status_code == 422
        assert s.rows("SELECT id FROM events") == []
