"""Template buttons end to end: the tap comes in as a webhook, the reply goes out once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import trio

from recado.rules.voucher import voucher_key, voucher_sig
from recado.testing import webhook_bodies as wb
from tests.test_sender import PHONE, book, notice, notice_reaches, settle, stack
from tests.webhook_helpers import post_body, query


async def _tap(
    daemon,
    client,
    payload: str,
    title: str,
    context_id: str | None,  # type: ignore[no-untyped-def]
    wamid: str,
) -> None:
    now = int(datetime.now(UTC).timestamp())
    body = wb.envelope(
        [
            wb.inbound_button(
                payload, title, wa_id=PHONE[1:], ts=now, id=wamid, context_id=context_id
            )
        ]
    )
    assert (await post_body(daemon, client, body)).status_code == 200
    await daemon.commands.webhooks.drain()


async def _booked(daemon, client) -> dict:  # type: ignore[no-untyped-def]
    await book(daemon, client)
    await notice_reaches(daemon, "sent")
    return notice(daemon)


async def test_confirm_marks_confirmed_and_replies_with_the_voucher(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        job = await _booked(daemon, client)
        await _tap(daemon, client, "CONFIRM:apt-1", "Confirmar", job["wamid"], "wamid.TAP1")
        await _tap(daemon, client, "CONFIRM:apt-1", "Confirmar", job["wamid"], "wamid.TAP1")
        await settle(
            daemon, "SELECT state FROM messages WHERE kind = 'button_reply'", [{"state": "sent"}]
        )
        assert query(daemon, "SELECT status FROM appointments") == [{"status": "confirmed"}]
        replies = [r for r in double.sends() if r.body.get("type") == "text"]
        assert len(replies) == 1  # the redelivered tap got no second reply
        text = replies[0].body["text"]["body"]
        assert text.startswith("Obrigado, Ana! Seu horário de Corte em ")
        link = text.rsplit(" ", 1)[1]
        # public_base_url is the configured default; the listener took a free port.
        link = link.replace("http://127.0.0.1:8080", daemon.listeners["public"].url or "")
        page = await client.get(link)
        assert page.status_code == 200
        assert "Confirmado" in page.text and "Corte" in page.text
        forged = await client.get(link.replace(link.rsplit("=", 1)[1], "A" * 22))
        assert forged.status_code == 404
        unknown = await client.get(
            f"{daemon.listeners['public'].url}/voucher/nope?sig="
            f"{voucher_sig(voucher_key(daemon.secret_key), 'nope')}"
        )
        assert unknown.status_code == 404


async def test_reschedule_sends_the_booking_link_and_emits_an_event(daemon_dir: Path) -> None:
    extra = '[studio]\nbooking_url = "https://agenda.example/studio"\n'
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        daemon.config_path.write_text(daemon.config_path.read_text() + extra)
        from recado.runtime.reload import reload_config

        await reload_config(daemon, source="test")
        job = await _booked(daemon, client)
        await _tap(daemon, client, "RESCHEDULE:apt-1", "Reagendar", job["wamid"], "wamid.TAP2")
        await settle(
            daemon, "SELECT state FROM messages WHERE kind = 'button_reply'", [{"state": "sent"}]
        )
        text = next(r for r in double.sends() if r.body.get("type") == "text")
        assert text.body["text"]["body"] == (
            "Sem problemas, Ana! Escolha um novo horário aqui: https://agenda.example/studio"
        )
        events = query(daemon, "SELECT id, type, source FROM events WHERE source = 'button'")
        assert events == [
            {"id": "btn:wamid.TAP2", "type": "appointment.reschedule_requested", "source": "button"}
        ]


async def test_talk_hands_off_with_an_alert(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        await _booked(daemon, client)
        # No context: correlated by the payload alone.
        await _tap(daemon, client, "TALK:apt-1", "Falar com a equipe", None, "wamid.TAP3")
        await settle(
            daemon, "SELECT state FROM messages WHERE kind = 'button_reply'", [{"state": "sent"}]
        )
        assert query(daemon, "SELECT type FROM events WHERE source = 'button'") == [
            {"type": "handoff.requested"}
        ]
        alert = query(daemon, "SELECT code, text_pt FROM alerts")[0]
        assert alert == {
            "code": "button_talk",
            "text_pt": 'Ana Souza tocou em "Falar com a equipe" (Corte).',
        }
        text = next(r for r in double.sends() if r.body.get("type") == "text")
        assert "Alguém da equipe" in text.body["text"]["body"]


async def test_unknown_payload_or_appointment_gets_no_reply(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        await _tap(daemon, client, "CONFIRM:ghost", "Confirmar", None, "wamid.G1")
        await _tap(daemon, client, "whatever", "?", None, "wamid.G2")
        await trio.sleep(0.2)
        assert query(daemon, "SELECT COUNT(*) AS n FROM messages") == [{"n": 0}]
        handled = query(daemon, "SELECT wamid, handled_as FROM inbound_messages ORDER BY wamid")
        assert handled == [
            {"wamid": "wamid.G1", "handled_as": "button_unmatched"},
            {"wamid": "wamid.G2", "handled_as": None},
        ]
        assert double.sends() == []


async def test_voucher_page_is_mobile_friendly(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "", "dry_run") as (daemon, _, client):
        await book(daemon, client)
        sig = voucher_sig(voucher_key(daemon.secret_key), "apt-1")
        page = await httpx.AsyncClient().get(
            f"{daemon.listeners['public'].url}/voucher/apt-1?sig={sig}"
        )
        assert page.status_code == 200
        assert 'name="viewport"' in page.text and "Comprovante de agendamento" in page.text
        assert page.headers["cache-control"] == "private, no-store"


async def test_voucher_page_speaks_the_studios_language(daemon_dir: Path) -> None:
    async with stack(daemon_dir, '[ui]\nlocale = "en"\n', "dry_run") as (daemon, _, client):
        await book(daemon, client)
        sig = voucher_sig(voucher_key(daemon.secret_key), "apt-1")
        page = await client.get(f"{daemon.listeners['public'].url}/voucher/apt-1?sig={sig}")
        assert page.status_code == 200
        assert '<html lang="en">' in page.text and "<h1>Appointment voucher</h1>" in page.text
        assert '<div class="status scheduled" id="status">Scheduled</div>' in page.text
        for pt in ("Comprovante", "Cliente", "Horário", "Agendado"):
            assert pt not in page.text, pt
