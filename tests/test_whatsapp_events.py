"""What a person sends on WhatsApp, and what Meta says failed, reaches the studio's systems as
events fanned out through ``[[flows]]`` (issue 12, item 7): once per wamid however often
Meta delivers it; echoes, history and the kinds that are not a person writing emit nothing.
Against the real daemon, the Graph double and a service double."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from recado.testing.graph_double import GraphDouble
from recado.testing.service_double import ServiceDouble
from tests.hub_helpers import real_pause, services_toml
from tests.test_sender import PHONE, book, settle, stack
from tests.webhook_helpers import post_body, query

FLOWS = (
    '[[flows]]\nevent = "whatsapp.message.received"\nactions = ["http:crm:POST:/whatsapp"]\n'
    '[[flows]]\nevent = "whatsapp.message.failed"\nactions = ["http:crm:POST:/failed"]\n'
)


@asynccontextmanager
async def _hub(
    directory: Path,
) -> AsyncIterator[tuple[Daemon, GraphDouble, httpx.AsyncClient, ServiceDouble]]:
    crm = ServiceDouble("crm")
    async with trio.open_nursery() as nursery:
        await nursery.start(crm.serve)
        directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (test setup, instant)
        (directory / "crm.token").write_text("secret-crm")
        async with stack(directory, "\n" + services_toml({"crm": crm}) + FLOWS) as (
            daemon,
            double,
            client,
        ):
            yield daemon, double, client, crm
        nursery.cancel_scope.cancel()


async def _deliver(daemon: Daemon, client: httpx.AsyncClient, *changes: dict[str, Any]) -> None:
    assert (await post_body(daemon, client, wb.envelope(list(changes)))).status_code == 200
    await daemon.commands.webhooks.drain()


async def _posts(crm: ServiceDouble, path: str, count: int) -> list[dict[str, Any]]:
    """The envelopes the CRM received on ``path``, once ``count`` of them came."""
    for _ in range(200):
        if len([r for r in crm.received() if r.path == path]) >= count:
            break
        await real_pause(0.05)
    return [r.body for r in crm.received() if r.path == path]


def _events(daemon: Daemon, etype: str) -> list[dict[str, Any]]:
    rows = query(daemon, "SELECT id, data_json FROM events WHERE type = ? ORDER BY id", etype)
    return [{"id": r["id"], **json.loads(r["data_json"])} for r in rows]


async def test_a_text_delivered_three_times_reaches_the_crm_once(daemon_dir: Path) -> None:
    async with _hub(daemon_dir) as (daemon, _double, client, crm):
        ts = int(datetime.now(UTC).timestamp())
        text = wb.inbound_text("Posso remarcar?", id="wamid.IN-once", ts=ts, wa_id=PHONE[1:])
        for _ in range(3):
            # Three bodies, as Meta redelivers: each signed and applied on its own.
            await _deliver(daemon, client, text)
        posts = await _posts(crm, "/whatsapp", 1)
        await real_pause(0.3)  # a second post would have come by now
        posts = [r.body for r in crm.received() if r.path == "/whatsapp"]
        assert len(posts) == 1
        assert {r.key for r in crm.received()} == {"wa-in:wamid.IN-once:http:crm:POST:/whatsapp"}
        envelope = posts[0]
        assert envelope["type"] == "whatsapp.message.received"
        assert envelope["data"] == {
            "wamid": "wamid.IN-once",
            "type": "text",
            "timestamp": datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "client": {"bsuid": None, "phone": PHONE, "name": "Ana", "username": None},
            "text": "Posso remarcar?",
            "payload": None,
            "context_wamid": None,
            "appointment_id": None,
        }
        assert query(daemon, "SELECT COUNT(*) AS n FROM deliveries") == [{"n": 1}]


async def test_each_kind_a_person_sends_emits_and_the_others_do_not(daemon_dir: Path) -> None:
    async with _hub(daemon_dir) as (daemon, _double, client, _crm):
        sent = [
            wb.inbound_text("Oi", id="w-text"),
            wb.inbound_interactive("opt-1", "Manhã", id="w-interactive"),
            wb.inbound_media("image", id="w-image"),
            wb.inbound_media("document", id="w-document"),
            wb.inbound_location(id="w-location"),
            wb.inbound_contacts(id="w-contacts"),
        ]
        silent = [
            wb.inbound_reaction("w-text", id="w-reaction"),
            wb.inbound_edit("w-text", "Oi!", id="w-edit"),
            wb.inbound_revoke("w-image", id="w-revoke"),
            wb.inbound_system(id="w-system"),
            wb.inbound_unsupported(id="w-unsupported"),
            wb.inbound_order(id="w-order"),
            wb.echo("Já estou indo", id="w-echo"),
            wb.history_chunk(),
        ]
        await _deliver(daemon, client, *sent, *silent)
        events = {e["wamid"]: e for e in _events(daemon, "whatsapp.message.received")}
        assert sorted(events) == sorted(
            ["w-text", "w-interactive", "w-image", "w-document", "w-location", "w-contacts"]
        )
        assert events["w-interactive"]["text"] == "Manhã"
        assert events["w-interactive"]["payload"] == "opt-1"
        assert events["w-image"]["media"] == {
            "id": "1234567890",
            "mime_type": "image/jpeg",
            "sha256": "a" * 44,
            "caption": "uma image",
        }
        assert events["w-document"]["media"]["filename"] == "recibo.pdf"
        assert events["w-location"]["location"]["address"] == "Av. Paulista, 1000"
        assert events["w-contacts"]["contacts"][0]["name"] == {"formatted_name": "Bia"}
        # Every item still landed where it always did.
        assert query(daemon, "SELECT COUNT(*) AS n FROM inbound_messages") == [{"n": 12}]


async def test_a_tap_names_its_appointment(daemon_dir: Path) -> None:
    async with _hub(daemon_dir) as (daemon, _double, client, crm):
        await book(daemon, client, apt="apt-7")
        await settle(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_created'",
            [{"state": "sent"}],
        )
        (job,) = query(daemon, "SELECT wamid FROM messages WHERE kind = 'appointment_created'")
        tap = wb.inbound_button(
            "CONFIRM:apt-7",
            "Confirmar",
            id="w-tap",
            context_id=job["wamid"],
            wa_id=PHONE[1:],
            ts=int(datetime.now(UTC).timestamp()),
        )
        await _deliver(daemon, client, tap)
        (event,) = _events(daemon, "whatsapp.message.received")
        assert (event["type"], event["text"], event["appointment_id"]) == (
            "button",
            "Confirmar",
            "apt-7",
        )
        assert event["context_wamid"] == job["wamid"]
        assert (await _posts(crm, "/whatsapp", 1))[0]["data"]["appointment_id"] == "apt-7"


async def test_a_failed_status_reaches_the_crm_once_with_its_reason(daemon_dir: Path) -> None:
    async with _hub(daemon_dir) as (daemon, _double, client, crm):
        await book(daemon, client, apt="apt-9")
        await settle(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_created'",
            [{"state": "sent"}],
        )
        (job,) = query(daemon, "SELECT id, wamid FROM messages WHERE kind = 'appointment_created'")
        now = int(datetime.now(UTC).timestamp())
        error = wb.graph_error(131049, "Ecosystem engagement", "not delivered for engagement")
        failed = wb.status(job["wamid"], "failed", ts=now, recipient=PHONE[1:], errors=[error])
        await _deliver(daemon, client, failed)
        await _deliver(daemon, client, failed)
        (envelope,) = await _posts(crm, "/failed", 1)
        assert envelope["type"] == "whatsapp.message.failed"
        data = envelope["data"]
        assert (data["message_id"], data["kind"], data["appointment_id"]) == (
            job["id"],
            "appointment_created",
            "apt-9",
        )
        assert data["error"]["code"] == 131049
        assert data["reason_code"] == "graph_131049"
        assert data["client"]["phone"] == PHONE
        assert len(_events(daemon, "whatsapp.message.failed")) == 1
        # Statuses that did not fail tell the studio's systems nothing.
        await _deliver(daemon, client, wb.status(job["wamid"], "read", ts=now + 1))
        assert len(query(daemon, "SELECT id FROM events WHERE source = 'whatsapp'")) == 1


async def test_a_failed_status_before_its_send_answer_still_emits(daemon_dir: Path) -> None:
    async with _hub(daemon_dir) as (daemon, _double, client, _crm):
        now = int(datetime.now(UTC).timestamp())
        await _deliver(daemon, client, wb.status("wamid.unknown", "failed", ts=now))
        (event,) = _events(daemon, "whatsapp.message.failed")
        assert (event["message_id"], event["reason_code"]) == (None, "status_failed_no_code")
        assert event["client"]["phone"] == "+5511987654321"


async def test_the_events_api_refuses_what_only_whatsapp_emits(daemon_dir: Path) -> None:
    async with _hub(daemon_dir) as (daemon, _double, client, crm):
        for etype in ("whatsapp.message.received", "whatsapp.message.failed"):
            body = {
                "id": f"forged-{etype}",
                "type": etype,
                "occurred_at": "2026-11-24T10:00:00-03:00",
                "data": {"wamid": "wamid.forged", "client": {"phone": PHONE}},
            }
            response = await client.post(
                f"{daemon.listeners['public'].url}/api/v1/events",
                json=body,
                headers={"X-API-Key": daemon.api_key},
            )
            assert response.status_code == 422, response.text
            assert response.json()["error"] == "invalid_field"
        assert query(daemon, "SELECT COUNT(*) AS n FROM events") == [{"n": 0}]
        assert crm.received() == []
