"""Clients Meta names by a business-scoped user id (BSUID), with or without a phone, against
the real daemon and the Graph double (docs/whatsapp-notes.md §2, §4): they write, tap, get
replies, change ids, and are reached by ``to`` when a phone is known, else by
``recipient``; 131062 falls back to the phone or fails saying the client must share one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.rules.message_reasons import reason_text
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from recado.testing.graph_double import GraphDouble
from tests.test_sender import PHONE, book, notice, notice_reaches, settle, stack
from tests.webhook_helpers import post_body, query

ANA = "BR.7300112233445566"  # the booked client, who adopted a username
BIA = "BR.5500998877665544"  # a new client who writes first with a username
BIA_NEW = "BR.9911002233445566"
NEW_PHONE = "+5511976543210"


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


async def _deliver(daemon: Daemon, client: httpx.AsyncClient, *changes: dict[str, Any]) -> None:
    for change in changes:
        assert (await post_body(daemon, client, wb.envelope([change]))).status_code == 200
    await daemon.commands.webhooks.drain()


def _customers(daemon: Daemon) -> list[dict[str, Any]]:
    return query(
        daemon,
        "SELECT id, bsuid, phone, username FROM customers WHERE merged_into IS NULL ORDER BY id",
    )


def _customer(daemon: Daemon, bsuid: str) -> int:
    (row,) = query(daemon, "SELECT id FROM customers WHERE bsuid = ?", bsuid)
    return int(row["id"])


async def _reply(
    daemon: Daemon, client: httpx.AsyncClient, customer: int, text: str, request_id: str
) -> httpx.Response:
    return await client.post(
        f"{daemon.listeners['operator'].url}/customers/{customer}/reply",
        json={"text": text, "request_id": request_id},
        headers={"X-API-Key": daemon.api_key},
    )


def _texts(double: GraphDouble) -> list[dict[str, Any]]:
    return [r.body for r in double.sends() if r.body.get("type") == "text"]


async def _state(daemon: Daemon, job_id: str, state: str) -> None:
    await settle(daemon, "SELECT state FROM messages WHERE id = ?", [{"state": state}], job_id)


async def test_a_username_client_taps_a_template_sent_by_phone_and_gets_the_voucher(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        template = notice(daemon)
        assert double.sends()[0].body["to"] == PHONE
        # Ana has adopted a username: Meta names her by BSUID alone from now on.
        username_only: dict[str, Any] = {"wa_id": None, "user_id": ANA, "username": "@ana.k"}
        await _deliver(
            daemon, client, wb.inbound_text("Oi!", ts=_now() - 30, id="wamid.A1", **username_only)
        )
        assert [c["phone"] for c in _customers(daemon)] == [PHONE, None]  # not known yet
        await _deliver(
            daemon,
            client,
            wb.inbound_button(
                "CONFIRM:apt-1",
                "Confirmar",
                context_id=template["wamid"],
                ts=_now() - 10,
                id="wamid.A2",
                **username_only,
            ),
        )
        await settle(
            daemon, "SELECT state FROM messages WHERE kind = 'button_reply'", [{"state": "sent"}]
        )
        # The tap on the template sent to her phone proves the BSUID is hers: one customer.
        assert _customers(daemon) == [
            {"id": template["customer_id"], "bsuid": ANA, "phone": PHONE, "username": "@ana.k"}
        ]
        assert query(daemon, "SELECT status FROM appointments") == [{"status": "confirmed"}]
        (voucher,) = _texts(double)
        assert voucher["to"] == PHONE and "recipient" not in voucher  # the phone is preferred
        assert voucher["text"]["body"].startswith("Obrigado, Ana! Seu horário de Corte em ")
        owners = query(daemon, "SELECT DISTINCT customer_id FROM inbound_messages")
        assert owners == [{"customer_id": template["customer_id"]}]


async def test_an_operator_reply_reaches_a_username_client_by_recipient_once(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        refused = await _reply(daemon, client, 999, "Olá", "r0")
        assert refused.status_code == 404 and refused.json()["error"] == "not_found"
        await _deliver(
            daemon,
            client,
            wb.inbound_text(
                "Tem horário quinta?",
                wa_id=None,
                user_id=BIA,
                username="@bia",
                name="Bia",
                ts=_now() - 10,
            ),
        )
        bia = _customer(daemon, BIA)
        for bad in ({"text": "", "request_id": "r1"}, {"text": "Olá", "request_id": "a b"}):
            answer = await client.post(
                f"{daemon.listeners['operator'].url}/customers/{bia}/reply",
                json=bad,
                headers={"X-API-Key": daemon.api_key},
            )
            assert answer.status_code == 422 and answer.json()["error"] == "invalid_field"
        double.auto_statuses = ("sent", "delivered", "read")
        first = await _reply(daemon, client, bia, "Temos às 15h!", "r1")
        again = await _reply(daemon, client, bia, "Temos às 15h!", "r1")  # a double click
        assert first.status_code == again.status_code == 200
        assert (first.json()["new"], again.json()["new"]) == (True, False)
        await _state(daemon, first.json()["id"], "sent")
        (sent,) = _texts(double)
        assert sent["recipient"] == BIA and "to" not in sent
        assert sent["recipient_type"] == "individual"
        assert sent["text"]["body"] == "Temos às 15h!"
        # Meta answered contacts[0].user_id; the statuses name the BSUID alone: no new person.
        await settle(
            daemon,
            "SELECT COUNT(*) AS n FROM message_statuses WHERE recipient_user_id = ?",
            [{"n": 3}],
            BIA,
        )
        assert len(_customers(daemon)) == 1
        audit = query(daemon, "SELECT action, target FROM audit_log")
        assert audit == [{"action": "conversations.reply", "target": str(bia)}]


async def test_a_reply_needs_the_window_open(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        # Booked by phone, never wrote: no window to answer in.
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        customer = notice(daemon)["customer_id"]
        refused = await _reply(daemon, client, customer, "Olá", "r1")
        assert refused.status_code == 409
        assert refused.json()["error"] == "window_closed"
        assert refused.json()["reason"] == "no_inbound"
        # A message from 25 h ago (Meta's timestamp) does not open it either.
        await _deliver(daemon, client, wb.inbound_text("oi", wa_id=PHONE[1:], ts=_now() - 90000))
        refused = await _reply(daemon, client, customer, "Olá", "r2")
        assert refused.json()["reason"] == "window_closed"
        assert _texts(double) == []


async def test_a_bsuid_change_keeps_the_window_open_and_the_history_whole(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        wrote = _now() - 3600
        await _deliver(
            daemon,
            client,
            wb.inbound_text("Oi", wa_id=None, user_id=BIA, ts=wrote, id="wamid.B1"),
            wb.user_changed(BIA, BIA_NEW, ts=_now() - 60, id="wamid.S1"),
        )
        (bia,) = _customers(daemon)
        assert bia["bsuid"] == BIA_NEW
        # The old BSUID stays an alias, retired; a late webhook naming it finds her.
        aliases = query(
            daemon,
            "SELECT value, until IS NULL AS current FROM customer_aliases WHERE customer_id = ? "
            "ORDER BY id",
            bia["id"],
        )
        assert aliases == [{"value": BIA, "current": 0}, {"value": BIA_NEW, "current": 1}]
        await _deliver(
            daemon,
            client,
            wb.inbound_text("late", wa_id=None, user_id=BIA, ts=wrote + 1, id="wamid.B2"),
        )
        assert len(_customers(daemon)) == 1
        history = query(daemon, "SELECT wamid, customer_id FROM inbound_messages ORDER BY ts")
        assert [h["customer_id"] for h in history] == [bia["id"]] * 3
        # The system message is counted but did not refresh the window: her own message did.
        (ledger,) = query(daemon, "SELECT * FROM conversations")
        assert (ledger["inbound_count"], ledger["last_inbound_at"]) == (3, wrote + 1)
        answer = await _reply(daemon, client, bia["id"], "Oi, Bia!", "r1")
        assert answer.status_code == 200, answer.text
        await _state(daemon, answer.json()["id"], "sent")
        assert _texts(double)[0]["recipient"] == BIA_NEW


async def test_a_number_change_moves_the_client_and_the_cancellation_finds_them(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        customer = notice(daemon)["customer_id"]
        # One payload with both the phone and the BSUID links them.
        await _deliver(
            daemon, client, wb.inbound_text("oi", user_id=ANA, ts=_now() - 600, id="wamid.A1")
        )
        assert _customers(daemon)[0]["bsuid"] == ANA
        # Ana changes her number: a new BSUID, the old phone no longer hers.
        await _deliver(daemon, client, wb.user_changed(ANA, BIA_NEW, number=True, ts=_now() - 60))
        (ana,) = _customers(daemon)
        assert (ana["id"], ana["bsuid"], ana["phone"]) == (customer, BIA_NEW, None)
        # The window carries over: the cancellation notice (free text) still goes, by BSUID.
        await book(daemon, client, etype="appointment.canceled", notify_client=True)
        await settle(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_canceled'",
            [{"state": "sent"}],
        )
        (notice_text,) = _texts(double)
        assert notice_text["recipient"] == BIA_NEW and "to" not in notice_text
        # Her new phone arrives with the BSUID: it is hers, and the old one names nobody now.
        await _deliver(
            daemon,
            client,
            wb.inbound_text("novo número", wa_id=NEW_PHONE[1:], user_id=BIA_NEW, ts=_now() - 5),
        )
        assert [(c["id"], c["phone"]) for c in _customers(daemon)] == [(customer, NEW_PHONE)]
        (ledger,) = query(daemon, "SELECT inbound_count FROM conversations")
        assert ledger["inbound_count"] == 3


async def test_131062_without_a_phone_fails_saying_the_client_must_share_one(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        await _deliver(
            daemon, client, wb.inbound_text("Oi", wa_id=None, user_id=BIA, ts=_now() - 10)
        )
        double.fail_next(1, 131062, message="BSUID recipients are not supported for this message")
        answer = await _reply(daemon, client, _customer(daemon, BIA), "Olá", "r1")
        await _state(daemon, answer.json()["id"], "failed")
        (row,) = query(
            daemon,
            "SELECT reason_code, reason_json FROM messages WHERE id = ?",
            answer.json()["id"],
        )
        assert row["reason_code"] == "graph_131062"
        said = reason_text(json.loads(row["reason_json"]), "pt-BR", UTC)
        assert said is not None and "o cliente precisa compartilhar um número" in said
        assert len(double.sends()) == 1  # not retried


async def test_131062_with_a_phone_known_goes_again_by_phone(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "", "enabled") as (daemon, double, client):
        await _deliver(
            daemon, client, wb.inbound_text("Oi", wa_id=None, user_id=BIA, ts=_now() - 10)
        )
        bia = _customer(daemon, BIA)
        # Meta answers slowly; meanwhile a payload brings her phone with her BSUID.
        double.fail_next(1, 131062, after_s=1.0)
        answer = await _reply(daemon, client, bia, "Olá", "r1")
        with trio.fail_after(10):
            await double.wait_for_requests(1)
        await _deliver(daemon, client, wb.inbound_text("meu número", user_id=BIA, ts=_now()))
        await _state(daemon, answer.json()["id"], "sent")
        first, second = (r.body for r in double.sends())
        assert first["recipient"] == BIA and "to" not in first
        assert second["to"] == PHONE and "recipient" not in second
        attempts = query(
            daemon,
            "SELECT outcome, error_code FROM message_attempts WHERE message_id = ? ORDER BY n",
            answer.json()["id"],
        )
        assert attempts == [
            {"outcome": "rejected", "error_code": 131062},
            {"outcome": "sent", "error_code": None},
        ]
