"""The fault catalogue, WhatsApp side (docs/operations.md): each fault injected against the
real daemon and the Graph double on a mock clock ends in a named alert with a pt-BR reason
within one minute, loses nothing, sends nothing twice, and clears without a restart."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import trio
import trio.testing

from recado.rules import whatsapp_faults as wf
from recado.testing import webhook_bodies as wb
from tests.faults.helpers import MINUTE, named_alert, open_alerts, reasons, resolved
from tests.incident_helpers import TOKEN, Stack, incident_stack
from tests.raw_http import host_port, read_response
from tests.webhook_helpers import post_body

SENT = ("sent", "delivered", "read")
PHONES = ("+5511987650001", "+5511987650002", "+5511987650003")


def notice(s: Stack, apt: str, kind: str = "appointment_created") -> dict[str, Any]:
    (row,) = s.rows(
        "SELECT id, state, reason_code, wamid FROM messages WHERE appointment_id = ? AND kind = ?",
        apt,
        kind,
    )
    return row


def never_twice(s: Stack) -> None:
    """No job was accepted by Meta more than once."""
    accepted = Counter(r.callback_data for r in s.graph.sends() if r.answered == "ok")
    assert all(n == 1 for n in accepted.values()), accepted


async def sent(s: Stack, apt: str, within_s: float = 5 * MINUTE) -> None:
    await s.until(lambda: notice(s, apt)["state"] in SENT, within_s=within_s, step=10)


async def test_token_expired_190_463_pauses_alerts_and_a_new_token_resumes_without_restart(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        s.graph.fail_next(
            1, 190, http_status=401, subcode=463, message="Error validating access token"
        )
        await s.book("apt-1", PHONES[0])
        row, text = await named_alert(s, "whatsapp_auth")
        assert row["severity"] == "critical"
        assert "token de acesso expirou" in row["text_pt"]
        assert "Motivo: o token expirou." in row["text_pt"]
        assert "recusado pela Meta" in text and "Reconecte o WhatsApp" in text
        # Everything else waits (nothing is sent with a dead token); nothing is lost.
        await s.book("apt-2", PHONES[1])
        await s.advance(MINUTE, step=20)
        assert notice(s, "apt-2")["state"] == "queued"
        assert notice(s, "apt-1")["reason_code"] == "graph_190"
        assert len(s.graph.sends()) == 1

        # A new token in the file and a reload (SIGHUP does the same): the pause is over,
        # with no restart; Meta refuses the old token from now on.
        new_token = "a-new-token-from-meta"
        s.graph.token = new_token
        (daemon_dir / "token").write_text(new_token + "\n")
        answer = await s.post("/config/reload")
        assert answer.status_code == 200, answer.text
        assert "whatsapp.access_token" in answer.json()["applied"]
        await resolved(s, "whatsapp_auth", within_s=MINUTE)
        await sent(s, "apt-2")
        # The refused message goes again on the operator's retry, once.
        retried = await s.post(f"/messages/{notice(s, 'apt-1')['id']}/retry")
        assert retried.status_code == 200, retried.text
        await sent(s, "apt-1")
        assert [r.headers["authorization"] for r in s.graph.sends()[1:]] == [
            f"Bearer {new_token}"
        ] * 2
        never_twice(s)
        stored = json.dumps(s.rows("SELECT * FROM audit_log")) + json.dumps(
            s.rows("SELECT * FROM settings")
        )
        assert new_token not in stored and TOKEN not in stored


async def test_a_graph_5xx_streak_alerts_within_a_minute_and_resolves_when_meta_answers(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        s.graph.fail_next(4, 2, http_status=503, message="Service temporarily unavailable")
        await s.book("apt-1", PHONES[0])
        await s.book("apt-2", PHONES[1])
        first = "SELECT MIN(finished_at) AS t FROM message_attempts WHERE http_status = 503"
        await s.until(lambda: s.rows(first)[0]["t"] is not None, within_s=5)
        row, text = await named_alert(s, "graph_unstable")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert "A API da Meta está instável" in text and "erro 5xx" in text
        assert "metastatus.com" in text
        # The errors are retried by themselves; once Meta answers, both go, once each.
        await sent(s, "apt-1")
        await sent(s, "apt-2")
        await resolved(s, "graph_unstable")
        never_twice(s)


async def test_graph_hanging_alerts_within_a_minute_and_nothing_unanswered_goes_twice(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        s.graph.hang_next(2)
        await s.book("apt-1", PHONES[0])
        await s.book("apt-2", PHONES[1])
        # Each request is cut by the client's timeout, one after the other.
        hung = "SELECT COUNT(*) AS n FROM messages WHERE state = 'uncertain'"
        await s.until(lambda: s.rows(hung) == [{"n": 2}], within_s=3 * MINUTE, step=10)
        row, text = await named_alert(s, "graph_unstable")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert "sem resposta no prazo" in text and "não são reenviados" in text
        # Meta answers again: the next send goes and the alert resolves; the unanswered
        # ones are never sent again by themselves (the first request may have reached Meta).
        await s.book("apt-3", PHONES[2])
        await sent(s, "apt-3")
        await resolved(s, "graph_unstable")
        for apt in ("apt-1", "apt-2"):
            assert len(s.graph.sends_for(notice(s, apt)["id"])) == 1
        never_twice(s)


async def test_131047_on_a_reminder_alerts_and_the_next_accepted_template_resolves_it(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    # The reminder of an appointment two days ahead falls due a few minutes after booking.
    extra = "reminder_hours_before = 47.9\n"
    async with incident_stack(daemon_dir, mock_clock, extra=extra) as s:
        await s.book("apt-1", PHONES[0])
        await sent(s, "apt-1", within_s=MINUTE)
        s.graph.fail_next(1, 131047, message="Re-engagement message")
        reminder = "appointment_reminder"
        await s.advance(5 * MINUTE, step=60)
        await s.until(lambda: notice(s, "apt-1", reminder)["state"] != "queued", within_s=MINUTE)
        row, text = await named_alert(s, "reminder_window_closed")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert "131047" in text and "não foram avisados" in text and "outro canal" in text
        assert notice(s, "apt-1", reminder)["state"] == "skipped"
        # The next template Meta accepts clears it.
        await s.book("apt-2", PHONES[1])
        await sent(s, "apt-2")
        await resolved(s, "reminder_window_closed")
        # Accepted first and failed later (a status webhook): the same alert.
        change = wb.status(
            notice(s, "apt-2")["wamid"],
            "failed",
            errors=[wb.graph_error(131047, "Re-engagement message", "More than 24 hours")],
        )
        assert (await post_body(s.daemon, s.client, wb.envelope([change]))).status_code == 200
        await s.daemon.commands.webhooks.drain()
        await named_alert(s, "reminder_window_closed")
        assert len(s.graph.sends_for(notice(s, "apt-1", reminder)["id"])) == 1
        never_twice(s)


async def test_130429_throttling_alerts_and_resolves_at_the_next_accepted_send(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        s.graph.fail_next(3, 130429, message="(#130429) Rate limit hit")
        await s.book("apt-1", PHONES[0])
        await s.book("apt-2", PHONES[1])
        row, text = await named_alert(s, "whatsapp_throttled")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert "130429" in text and "whatsapp.messages_per_second" in text
        await sent(s, "apt-1")
        await sent(s, "apt-2")
        await resolved(s, "whatsapp_throttled")
        never_twice(s)


async def test_a_template_paused_by_meta_alerts_skips_its_sends_and_reinstating_resumes(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    extra = f'waba_id = "{wb.WABA_ID}"\n'
    async with incident_stack(daemon_dir, mock_clock, extra=extra) as s:
        # Meta paused it and its webhook never came: the send's 132015 has the templates
        # read again, and the alert follows from what Meta's listing says.
        s.graph.templates["aviso_de_agendamento"].status = "PAUSED"
        await s.book("apt-1", PHONES[0])
        row, text = await named_alert(s, "template_problem")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert "aviso_de_agendamento" in text and "ignorados" in text
        assert notice(s, "apt-1")["reason_code"] == "graph_132015"
        await s.book("apt-2", PHONES[1])
        await s.advance(MINUTE, step=20)
        assert notice(s, "apt-2")["state"] == "skipped"  # not sent into a refusal again
        assert len(s.graph.sends()) == 1
        # Reinstated (Meta's webhook): the alert resolves, the next booking goes.
        assert await s.graph.set_status("aviso_de_agendamento", "REINSTATED") == 200
        await s.daemon.commands.webhooks.drain()
        await resolved(s, "template_problem", within_s=MINUTE)
        await s.book("apt-3", PHONES[2])
        await sent(s, "apt-3")
        # And the webhook alone (PAUSED) raises it again before any send meets it.
        assert await s.graph.set_status("aviso_de_agendamento", "PAUSED") == 200
        await s.daemon.commands.webhooks.drain()
        await named_alert(s, "template_problem")
        never_twice(s)


async def test_webhook_silence_in_business_hours_alerts_and_a_webhook_resolves_it(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, statuses=False) as s:
        await s.book("apt-1", PHONES[0])
        await sent(s, "apt-1", within_s=MINUTE)
        sent_at = s.now()
        threshold = sent_at + timedelta(minutes=30)  # incidents.webhook_silence_min
        await s.advance((threshold - s.now()).total_seconds() - 5, step=60)
        assert open_alerts(s, "webhook_silence") == []
        row, text = await named_alert(s, "webhook_silence")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert s.now() - threshold <= timedelta(minutes=1)
        assert "horário comercial" in text and "nenhum webhook chegou" in text
        # Meta's statuses come back: resolved.
        job = notice(s, "apt-1")
        body = s.graph.status_body(job["wamid"], "delivered", PHONES[0], callback_data=job["id"])
        assert await s.graph.post_webhook(body) == 200
        await resolved(s, "webhook_silence", within_s=MINUTE)


async def test_webhook_silence_outside_business_hours_raises_nothing(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    night = 'business_hours = ["mon-fri 09:00-10:05"]\n'
    async with incident_stack(daemon_dir, mock_clock, statuses=False, incidents=night) as s:
        await s.book("apt-1", PHONES[0])
        await sent(s, "apt-1", within_s=MINUTE)
        await s.advance(2 * 60 * MINUTE, step=300)
        assert open_alerts(s, "webhook_silence") == []
        assert "webhook_silence" not in await reasons(s)


async def test_a_flood_of_forged_webhooks_is_refused_cheaply_with_one_alert(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        url = f"{s.public}/webhooks/whatsapp"
        raw = wb.encode(wb.envelope([wb.inbound_text("oi")]))
        before = s.rows(
            "SELECT (SELECT COUNT(*) FROM webhook_inbox) AS inbox, "
            "(SELECT COUNT(*) FROM webhook_rejects) AS rejects, "
            "(SELECT COUNT(*) FROM audit_log) AS audits"
        )
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64}
        for _ in range(2 * wf.FORGED_MIN):
            answer = await s.client.post(url, content=raw, headers=headers)
            assert answer.status_code == 401 and answer.json()["error"] == "bad_signature"
        row, text = await named_alert(s, "webhook_forged")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert "assinatura inválida" in text and "401" in text and "app_secret_file" in text
        for _ in range(2 * wf.FORGED_MIN):
            await s.client.post(url, content=raw, headers=headers)
        await s.advance(MINUTE, step=20)
        # One alert for the flood, and nothing stored per forged request.
        assert len(s.rows("SELECT id FROM alerts WHERE code = 'webhook_forged'")) == 1
        after = s.rows(
            "SELECT (SELECT COUNT(*) FROM webhook_inbox) AS inbox, "
            "(SELECT COUNT(*) FROM webhook_rejects) AS rejects, "
            "(SELECT COUNT(*) FROM audit_log) AS audits"
        )
        assert after == before
        # Meta's real webhooks still get in meanwhile; ten quiet minutes resolve it.
        await s.inbound("5511987650001")
        await s.advance(9 * MINUTE, step=60)
        assert open_alerts(s, "webhook_forged")
        await resolved(s, "webhook_forged", within_s=2 * MINUTE)


async def test_a_webhook_body_over_the_limit_is_refused_413_with_an_alert(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        limit = s.daemon.config.http.max_body_bytes
        url = f"{s.public}/webhooks/whatsapp"
        answer = await s.client.post(
            url, content=b"{" + b" " * limit + b"}", headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 413, answer.text
        row, text = await named_alert(s, "webhook_too_large")
        assert (row["severity"], row["text_pt"]) == ("warning", text)
        assert str(limit) in text and "413" in text and "http.max_body_bytes" in text
        assert s.rows("SELECT COUNT(*) AS n FROM webhook_inbox") == [{"n": 0}]
        # Webhooks within the limit still get in; ten quiet minutes resolve it.
        await s.inbound("5511987650001")
        await s.advance(9 * MINUTE, step=60)
        assert open_alerts(s, "webhook_too_large")
        await resolved(s, "webhook_too_large", within_s=2 * MINUTE)


async def test_the_connection_cap_reached_alerts_and_resolves_once_connections_end(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    cap = 4
    caps = f"public_max_connections = {cap}\n"
    async with incident_stack(daemon_dir, mock_clock, http_toml=caps) as s:
        held = []
        for _ in range(cap):
            stream = await trio.open_tcp_stream(*host_port(s.public))
            await stream.send_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await read_response(stream, see_close=False)).status == 200
            held.append(stream)
        body = wb.envelope([wb.inbound_text("oi", wa_id="5511987650001")])
        refused = await post_body(s.daemon, s.client, body)
        assert refused.status_code == 503 and refused.json()["error"] == "too_many_connections"
        row, text = await named_alert(s, "connection_cap")
        assert row["subject"] == "public" and "http.public_max_connections" in row["text_pt"]
        assert "limite de 4 conexões" in text and "503" in text
        # The connections end: the alert resolves at once, the dashboard's "hit lately" ten
        # minutes after the last refusal; Meta's retry of the refused webhook gets in.
        for stream in held:
            await stream.aclose()
        accepted = await post_body(s.daemon, s.client, body)
        assert accepted.status_code == 200
        await s.until(lambda: not open_alerts(s, "connection_cap"), within_s=MINUTE)
        await s.advance(9 * MINUTE, step=60)
        await resolved(s, "connection_cap", within_s=2 * MINUTE)
