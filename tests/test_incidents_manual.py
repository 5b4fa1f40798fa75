"""Incidents opened by hand, against the real daemon on a mock clock: the API's shapes, the
30-minute update and its reminder, the SLA clocks, and the closing rule (refused before 30
minutes of normal flow, accepted after, forced only with a reason and audited)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import trio.testing

from recado.clock import iso
from tests.incident_helpers import incident_stack


async def test_open_by_hand_update_and_resolve_after_thirty_minutes_of_normal_flow(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        opened_at = s.now()
        response = await s.post(
            "/incidents",
            {"severity": "sev2", "title": "Atendimento lento", "description": "Clientes reclamam."},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        incident_id = body["id"]
        assert body["incident"]["id"] == incident_id
        assert (body["incident"]["severity"], body["incident"]["priority"]) == ("sev2", "P2")
        assert body["incident"]["state"] == "open"

        page = await s.get(f"/incidents/{incident_id}.json")
        clocks = {c["name"]: c for c in page["clocks"]}
        # Opened by a person: that is the response.
        assert clocks["response"]["state"] == "met"
        assert clocks["workaround"]["due_at"] == iso(opened_at + timedelta(hours=4))
        assert page["update"]["next_due"] == iso(opened_at + timedelta(minutes=30))
        prefill = page["update"]["prefill"].splitlines()
        assert prefill[0] == "Título: Atendimento lento"
        assert prefill[2] == "Descrição: Clientes reclamam."
        assert prefill[4].startswith("Próxima atualização: 01/12/2026 10:30")
        assert page["resolution"]["allowed"] is False

        await s.advance(10 * 60)
        early = await s.post(
            f"/incidents/{incident_id}/resolve",
            {"root_cause": "Meta lenta", "corrective_actions": "Nenhuma", "force": False},
        )
        assert early.status_code == 409
        assert early.json()["error"] == "flow_not_normal"
        assert "normal há 10 min" in early.json()["detail"]
        assert s.incidents()[0]["state"] == "open"

        update = await s.post(
            f"/incidents/{incident_id}/update",
            {"note": "Investigando", "public_note": "Estamos investigando."},
        )
        assert update.status_code == 200, update.text
        assert update.json()["next_update_due"] == iso(s.now() + timedelta(minutes=30))

        await s.advance(20 * 60 + 5)
        done = await s.post(
            f"/incidents/{incident_id}/resolve",
            {"root_cause": "Meta lenta", "corrective_actions": "Acompanhar", "force": False},
        )
        assert done.status_code == 200, done.text
        assert done.json()["forced"] is False
        assert done.json()["incident"]["state"] == "resolved"
        assert done.json()["postmortem_due"] == iso(s.now() + timedelta(days=7))
        audit = s.rows("SELECT action, detail_json FROM audit_log WHERE action LIKE 'incident.%'")
        assert [a["action"] for a in audit] == [
            "incident.open",
            "incident.update",
            "incident.resolve",
        ]
        kinds = [e["kind"] for e in (await s.get(f"/incidents/{incident_id}.json"))["timeline"]]
        assert kinds[0] == "opened" and "update" in kinds
        assert "counts" in kinds and kinds[-2:] == ["resolved", "postmortem"]
        again = await s.post(
            f"/incidents/{incident_id}/resolve",
            {"root_cause": "x", "corrective_actions": "y"},
        )
        assert again.status_code == 409 and again.json()["error"] == "resolved"


async def test_a_forced_resolution_needs_a_reason_and_is_audited(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev1", "title": "Fora"})).json()[
            "id"
        ]
        no_reason = await s.post(
            f"/incidents/{incident_id}/resolve",
            {"root_cause": "x", "corrective_actions": "y", "force": True},
        )
        assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
        forced = await s.post(
            f"/incidents/{incident_id}/resolve",
            {
                "root_cause": "Token revogado",
                "corrective_actions": "Novo token",
                "force": True,
                "reason": "Falso alarme confirmado pela Meta",
            },
        )
        assert forced.status_code == 200, forced.text
        assert forced.json()["forced"] is True
        assert forced.json()["incident"]["forced_reason"] == "Falso alarme confirmado pela Meta"
        (audit,) = s.rows("SELECT detail_json FROM audit_log WHERE action = 'incident.resolve'")
        assert '"forced": true' in audit["detail_json"]
        assert "Falso alarme confirmado pela Meta" in audit["detail_json"]
        assert forced.json()["postmortem_due"] == iso(s.now() + timedelta(hours=72))


async def test_the_thirty_minute_reminder_fires_once_and_an_update_ends_it(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev2", "title": "X"})).json()["id"]
        reminders = (
            "SELECT * FROM alerts WHERE code = 'incident_update_due' AND resolved_at IS NULL"
        )
        await s.advance(29 * 60, step=60)
        assert s.rows(reminders) == []
        waited = await s.until(lambda: bool(s.rows(reminders)), within_s=60)
        assert waited <= 60
        await s.advance(5 * 60, step=20)
        assert len(s.rows(reminders)) == 1
        entries = s.rows("SELECT kind FROM incident_timeline WHERE kind = 'reminder'")
        assert len(entries) == 1
        assert (await s.post(f"/incidents/{incident_id}/update", {"note": "ok"})).status_code == 200
        assert s.rows(reminders) == []
        # The next one is due 30 minutes after the update.
        await s.advance(29 * 60, step=60)
        assert s.rows(reminders) == []
        await s.until(lambda: bool(s.rows(reminders)), within_s=60)


async def test_a_missed_sla_clock_raises_one_alert(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        opened = s.now()
        incident_id = (await s.post("/incidents", {"severity": "sev1", "title": "X"})).json()["id"]
        missed = "SELECT subject FROM alerts WHERE code = 'incident_sla_missed'"
        # P1: a workaround within 1 h. Updates keep the reminder quiet meanwhile.
        for _ in range(2):
            await s.advance(29 * 60, step=60)
            await s.post(f"/incidents/{incident_id}/update", {"note": "seguimos"})
        await s.advance((opened + timedelta(hours=1) - s.now()).total_seconds() - 1, step=20)
        assert s.rows(missed) == []
        await s.until(lambda: bool(s.rows(missed)), within_s=60)
        await s.advance(3 * 60, step=20)
        assert s.rows(missed) == [{"subject": f"{incident_id}:workaround"}]
        page = await s.get(f"/incidents/{incident_id}.json")
        assert {c["name"]: c["state"] for c in page["clocks"]}["workaround"] == "missed"


async def test_a_misspelt_field_is_refused_not_ignored(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev1", "title": "X"})).json()["id"]
        for path, body in (
            ("/incidents", {"severity": "sev2", "titel": "Y"}),
            (f"/incidents/{incident_id}/update", {"note": "ok", "public": "x"}),
            (
                f"/incidents/{incident_id}/resolve",
                {"root_cause": "a", "corrective_actions": "b", "forse": True, "reason": "c"},
            ),
        ):
            refused = await s.post(path, body)
            assert refused.status_code == 422, (path, refused.text)
            assert refused.json()["error"] == "unknown_field"
        assert len(s.incidents()) == 1 and s.incidents()[0]["state"] == "open"
