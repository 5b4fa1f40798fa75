"""The post-mortem as the runbook wants it: generated from the timeline at the resolution, due
per priority, an alert once it is past due without lessons learned, and the lessons recorded
(audited) ending that alert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import trio.testing

from recado.clock import iso
from tests.incident_helpers import incident_stack

# P1 with a post-mortem due 2 h after the resolution, so the mock clock gets there quickly.
SHORT_P1 = "[incidents.sla.P1]\nresponse_min = 15\nworkaround_min = 60\npostmortem_h = 2\n"


async def test_a_postmortem_from_the_timeline_alerts_when_late_and_takes_the_lessons(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, incidents=SHORT_P1) as s:
        incident_id = (
            await s.post("/incidents", {"severity": "sev1", "title": "WhatsApp fora"})
        ).json()["id"]
        lessons = f"/incidents/{incident_id}/postmortem"
        early = await s.post(lessons, {"lessons_learned": "cedo demais"})
        assert early.status_code == 404 and early.json()["error"] == "not_found"
        await s.post(f"/incidents/{incident_id}/update", {"note": "Token revogado na Meta"})
        resolved = await s.post(
            f"/incidents/{incident_id}/resolve",
            {
                "root_cause": "Token revogado",
                "corrective_actions": "Token novo e alerta no painel",
                "force": True,
                "reason": "Confirmado com a Meta",
            },
        )
        assert resolved.status_code == 200, resolved.text
        due = s.now() + timedelta(hours=2)
        assert resolved.json()["postmortem_due"] == iso(due)

        pm = (await s.get(f"/incidents/{incident_id}.json"))["postmortem"]
        assert (pm["due_at"], pm["completed_at"], pm["lessons_learned"]) == (iso(due), None, None)
        summary = pm["summary"]
        assert summary["root_cause"] == "Token revogado"
        assert summary["corrective_actions"] == "Token novo e alerta no painel"
        assert summary["forced_reason"] == "Confirmado com a Meta"
        assert summary["timeline"][0]["kind"] == "opened"
        texts = [e["text"] for e in summary["timeline"]]
        assert "Atualização: Token revogado na Meta" in texts
        # The operator's texts stay sentences of their own in the entry.
        assert texts[-1].endswith(
            "Motivo: Confirmado com a Meta. Causa raiz: Token revogado. "
            "Ações corretivas: Token novo e alerta no painel."
        )
        assert {c["clock"] for c in summary["sla"]} == {"response", "workaround"}

        late = (
            "SELECT subject, resolved_at FROM alerts WHERE code = 'incident_sla_missed' "
            "AND subject = ?"
        )
        subject = f"{incident_id}:postmortem"
        await s.advance((due - s.now()).total_seconds() - 30, step=300)
        assert s.rows(late, subject) == []
        await s.until(lambda: bool(s.rows(late, subject)), within_s=60)
        await s.advance(5 * 60, step=20)
        assert len(s.rows(late, subject)) == 1

        empty = await s.post(lessons, {"lessons_learned": "  "})
        assert empty.status_code == 422 and empty.json()["error"] == "invalid_field"
        done = await s.post(lessons, {"lessons_learned": "Monitorar a validade do token"})
        assert done.status_code == 200, done.text
        assert s.rows(late, subject)[0]["resolved_at"] is not None
        pm = (await s.get(f"/incidents/{incident_id}.json"))["postmortem"]
        assert pm["lessons_learned"] == "Monitorar a validade do token"
        assert pm["completed_at"] == iso(s.now())
        assert s.rows("SELECT action FROM audit_log WHERE action = 'incident.postmortem'") == [
            {"action": "incident.postmortem"}
        ]
        # Done: no alert comes back.
        await s.advance(5 * 60, step=20)
        assert [r["resolved_at"] is not None for r in s.rows(late, subject)] == [True]
