"""The runbook's clocks and the SOP's closing rule, without a server: SLA deadlines per
priority, the 30-minute update, 30 minutes of normal flow before a resolution, the public
note's template, the chat message and the contingency reply's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.rules import incident_sla as sla
from recado.rules.chat_message import chat_body
from recado.rules.contingency import reply_text, should_reply
from recado.rules.incident_closing import FlowFacts, resolution_verdict
from recado.rules.status_note import prefill

TZ = ZoneInfo("America/Sao_Paulo")
T0 = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 10:00 in São Paulo
MIN = timedelta(minutes=1)


def clocks(priority: str, now: datetime, **times: datetime) -> dict[str, tuple[str, object]]:
    found = sla.sla_clocks(sla.DEFAULT_SLA[priority], sla.IncidentTimes(opened_at=T0, **times), now)
    return {c.name: (c.state, c.due_at) for c in found}


@pytest.mark.parametrize(
    ("priority", "response", "workaround", "postmortem"),
    [
        ("P1", 15 * MIN, 60 * MIN, timedelta(hours=72)),
        ("P2", 30 * MIN, 4 * 60 * MIN, timedelta(days=7)),
        ("P3", 4 * 60 * MIN, 48 * 60 * MIN, None),
        ("P4", 48 * 60 * MIN, None, None),
    ],
)
def test_each_priority_has_the_runbook_deadlines(
    priority: str,
    response: timedelta,
    workaround: timedelta | None,
    postmortem: timedelta | None,
) -> None:
    found = clocks(priority, T0)
    assert found["response"] == ("running", T0 + response)
    assert found.get("workaround") == (("running", T0 + workaround) if workaround else None)
    resolved = T0 + timedelta(hours=1)
    later = clocks(priority, resolved, responded_at=T0, resolved_at=resolved)
    assert later.get("postmortem") == (("running", resolved + postmortem) if postmortem else None)


def test_a_clock_is_missed_past_its_due_time_and_met_when_stopped() -> None:
    assert clocks("P1", T0 + 15 * MIN)["response"][0] == "running"
    assert clocks("P1", T0 + 15 * MIN + timedelta(seconds=1))["response"][0] == "missed"
    assert clocks("P1", T0 + 20 * MIN, responded_at=T0 + 5 * MIN)["response"][0] == "met"
    assert clocks("P1", T0 + 20 * MIN, responded_at=T0 + 16 * MIN)["response"][0] == "met_late"
    # A mitigation stops the workaround clock; so does a resolution.
    assert clocks("P1", T0 + 2 * 60 * MIN, mitigated_at=T0 + 50 * MIN)["workaround"][0] == "met"
    assert clocks("P1", T0 + 2 * 60 * MIN, resolved_at=T0 + 70 * MIN)["workaround"][0] == (
        "met_late"
    )
    # Before the resolution the post-mortem clock has not started.
    assert clocks("P1", T0 + 100 * 60 * MIN)["postmortem"] == ("waiting", None)


def test_priorities_go_with_their_severities() -> None:
    assert sla.priority_problem("sev1", "P1") is None
    assert sla.priority_problem("sev2", "P3") is None
    assert sla.priority_problem("sev1", "P2") is not None
    assert sla.priority_problem("sev2", "P1") is not None
    assert sla.priority_problem("sev3", "P2") is not None
    assert sla.priority_problem("sev2", "P5") is not None
    assert (sla.default_priority("sev1"), sla.default_priority("sev2")) == ("P1", "P2")


def test_an_update_is_due_thirty_minutes_after_the_last_one_while_not_resolved() -> None:
    due = sla.next_update_due(T0, 1800)
    assert due == T0 + 30 * MIN
    assert not sla.update_overdue("open", due, due - timedelta(seconds=1))
    assert sla.update_overdue("open", due, due)
    assert sla.update_overdue("mitigated", due, due + MIN)
    assert not sla.update_overdue("resolved", due, due + MIN)


def verdict(now: datetime, **facts: object):  # type: ignore[no-untyped-def]
    return resolution_verdict(
        FlowFacts(now=now, incident_started_at=T0, **facts),  # type: ignore[arg-type]
        1800,
        TZ,
    )


def test_resolution_waits_for_thirty_minutes_of_normal_flow() -> None:
    refused = verdict(T0 + 29 * MIN)
    assert not refused.allowed and "normal há 29 min" in refused.reason_pt
    assert "10:30" in refused.reason_pt
    assert verdict(T0 + 30 * MIN).allowed


@given(failure_after=st.integers(0, 120), now_after=st.integers(0, 240))
def test_a_failed_send_starts_the_thirty_minutes_again(failure_after: int, now_after: int) -> None:
    failure = T0 + failure_after * MIN
    now = T0 + now_after * MIN
    if now < failure:
        return
    v = verdict(now, last_failure_at=failure)
    assert v.allowed == (now - failure >= 30 * MIN)
    assert v.ready_at == failure + 30 * MIN


def test_resolution_is_refused_while_the_condition_fires_or_webhooks_do_not_follow_sends() -> None:
    late = T0 + 3 * 60 * MIN
    assert not verdict(late, cause_active=True).allowed
    cleared = verdict(late, cause_last_active_at=late - 10 * MIN)
    assert not cleared.allowed and cleared.ready_at == late + 20 * MIN
    unanswered = verdict(late, first_accepted_after_webhook_at=late - 6 * MIN)
    assert not unanswered.allowed and "nenhum webhook" in unanswered.reason_pt
    # A send a moment ago has not had time for its statuses yet.
    assert verdict(late, first_accepted_after_webhook_at=late - MIN).allowed


def test_the_public_note_follows_the_status_page_template() -> None:
    note = prefill(
        title="Instabilidade externa (Meta)",
        started_at=T0,
        description="",
        cause="graph_unstable",
        next_update_at=T0 + 30 * MIN,
        tz=TZ,
    )
    lines = note.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Título",
        "Início",
        "Descrição",
        "Impacto",
        "Próxima atualização",
    ]
    assert lines[1] == "Início: 01/12/2026 10:00"
    assert lines[4] == "Próxima atualização: 01/12/2026 10:30"


def test_the_chat_body_is_slack_shaped_pt_br_with_a_link() -> None:
    body = chat_body(
        "incident.opened",
        "incident:3:opened",
        {
            "incident_id": 3,
            "severity": "sev1",
            "priority": "P1",
            "state": "open",
            "title": "WhatsApp fora do ar",
            "started_at": "2026-12-01T13:00:00.000Z",
        },
        "https://ops.example",
        TZ,
    )
    assert list(body) == ["text"]
    assert "Incidente aberto #3 (sev1, P1): WhatsApp fora do ar" in body["text"]
    assert "Início: 01/12/2026 10:00" in body["text"]
    assert body["text"].endswith("https://ops.example/incidents/3")
    alert = chat_body(
        "alert.opened",
        "alert:9:opened",
        {"severity": "critical", "text": "Disco cheio.", "at": "2026-12-01T13:00:00.000Z"},
        "",
        TZ,
    )
    assert alert["text"].startswith("Alerta (🔴 crítico) em 01/12/2026 10:00: Disco cheio.")


def test_the_contingency_reply_names_the_channel_and_keeps_to_the_window() -> None:
    text = reply_text("Use {canal}.", "email", "oi@estudio.com.br")
    assert text == "Use o e-mail oi@estudio.com.br."
    assert "+5511999990000" in reply_text("Sem marcador.", "phone", "+5511999990000")
    assert should_reply("enabled", T0 - timedelta(hours=23, minutes=59), T0)
    assert not should_reply("enabled", T0 - timedelta(hours=24), T0)
    assert not should_reply("disabled", T0, T0)
    assert not should_reply("enabled", None, T0)
