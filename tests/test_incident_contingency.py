"""The contingency reply against the real daemon and the Graph double: while an incident has
it on, each client who writes gets the one fixed pt-BR text naming the alternative channel,
once per incident; a message that arrives a day late gets nothing; the resolution turns it
off and calls off the replies still waiting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import trio.testing

from recado.testing import webhook_bodies as wb
from tests.incident_helpers import Stack, incident_stack
from tests.webhook_helpers import post_body

CONTACT = 'contingency_contact = "atendimento@estudio.com.br"\n'
REPLY = "SELECT id, wa_id, state, reason_code FROM messages WHERE kind = 'contingency_reply'"
ANA, BIA, CAIO = "5511987650001", "5511987650002", "5511987650003"


def texts_to(s: Stack) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in s.graph.sends():
        if r.body.get("type") == "text":
            out.setdefault(r.body["to"].lstrip("+"), []).append(r.body["text"]["body"])
    return out


async def open_with_contingency(s: Stack, title: str = "WhatsApp instável") -> int:
    incident_id: int = (await s.post("/incidents", {"severity": "sev2", "title": title})).json()[
        "id"
    ]
    on = await s.post(f"/incidents/{incident_id}/actions/contingency_on")
    assert on.status_code == 200, on.text
    return incident_id


async def resolve(s: Stack, incident_id: int) -> Any:
    done = await s.post(
        f"/incidents/{incident_id}/resolve",
        {
            "root_cause": "Instabilidade da Meta",
            "corrective_actions": "Nenhuma",
            "force": True,
            "reason": "Teste",
        },
    )
    assert done.status_code == 200, done.text
    return done.json()


async def test_each_writing_client_gets_one_reply_per_incident_and_none_after(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, incidents=CONTACT) as s:
        first = await open_with_contingency(s)
        await s.inbound(ANA, "Oi, vocês estão aí?")
        await s.inbound(ANA, "Alô?")
        await s.inbound(BIA, "Quero remarcar")
        await s.inbound(ANA, "???")
        # A message Meta delivers a day late (its own timestamp) opens no window: nothing.
        await s.inbound(CAIO, "ontem", ts=s.now() - timedelta(hours=25))
        await s.until(lambda: len(texts_to(s)) == 2, within_s=10)
        await s.advance(60, step=10)
        sent = texts_to(s)
        assert sorted(sent) == [ANA, BIA] and [len(v) for v in sent.values()] == [1, 1]
        (text,) = sent[ANA]
        assert "atendimento@estudio.com.br" in text and text.startswith("Olá!")
        page = await s.get(f"/incidents/{first}.json")
        assert page["contingency"]["replies"] == 2 and page["contingency"]["on"] is True

        # Another incident: one more reply each, for that one.
        await resolve(s, first)
        await s.inbound(ANA, "E agora?")
        second = await open_with_contingency(s, "Outra instabilidade")
        await s.inbound(ANA, "Oi de novo")
        await s.inbound(ANA, "Oi de novo 2")
        await s.until(lambda: len(texts_to(s)[ANA]) == 2, within_s=10)
        await resolve(s, second)
        # Resolved: off by itself, and nobody gets it any more.
        assert s.rows("SELECT contingency_on FROM incidents") == [
            {"contingency_on": 0},
            {"contingency_on": 0},
        ]
        await s.inbound(BIA, "Tudo certo?")
        await s.advance(60, step=10)
        assert [len(v) for v in texts_to(s).values()] == [2, 1]
        assert {r["state"] for r in s.rows(REPLY)} <= {"sent", "delivered"}


async def test_replies_still_waiting_at_the_resolution_are_called_off(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, incidents=CONTACT) as s:
        incident_id = await open_with_contingency(s)
        kill = await s.post(f"/incidents/{incident_id}/actions/kill_switch_on")
        assert kill.status_code == 200
        await s.inbound(ANA)
        await s.advance(30, step=10)
        assert [r["state"] for r in s.rows(REPLY)] == ["queued"]
        await resolve(s, incident_id)
        assert [(r["state"], r["reason_code"]) for r in s.rows(REPLY)] == [
            ("canceled", "incident_resolved")
        ]
        off = await s.client.post(
            f"{s.operator}/whatsapp/kill-switch", json={"on": False}, headers=s.key
        )
        assert off.status_code == 200
        await s.advance(60, step=10)
        assert texts_to(s) == {}


async def test_the_reply_cannot_be_turned_on_without_an_alternative_channel(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev2", "title": "X"})).json()["id"]
        refused = await s.post(f"/incidents/{incident_id}/actions/contingency_on")
        assert refused.status_code == 409
        assert refused.json()["error"] == "no_alternative_channel"
        await s.inbound(ANA)
        await s.advance(30, step=10)
        assert s.rows(REPLY) == []


async def test_a_client_known_by_a_bsuid_alone_gets_one_reply_by_recipient(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    """The reply is once per person, not per number: a username-only client (no phone in
    the webhook) gets it by ``recipient``, and once more writing with their phone shared
    does not earn a second."""
    bsuid = "BR.5500998877665544"
    async with incident_stack(daemon_dir, mock_clock, incidents=CONTACT) as s:
        await open_with_contingency(s)
        for wa_id in (None, None, ANA):
            change = wb.inbound_text(
                "Oi", wa_id=wa_id, user_id=bsuid, id=wb.wamid(), ts=int(s.now().timestamp())
            )
            assert (await post_body(s.daemon, s.client, wb.envelope([change]))).status_code == 200
            await s.daemon.commands.webhooks.drain()
        await s.until(lambda: any(r.body.get("type") == "text" for r in s.graph.sends()), 10)
        await s.advance(60, step=10)
        (sent,) = [r.body for r in s.graph.sends() if r.body.get("type") == "text"]
        assert sent["recipient"] == bsuid and "to" not in sent
        assert len(s.rows("SELECT 1 FROM contingency_replies")) == 1
