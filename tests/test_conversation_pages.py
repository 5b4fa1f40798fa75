"""The conversations index and one conversation's timeline (issue 12, item 5): every client
most recent first, found by name or number, named the way pages name a client; inbound and
outbound (recado's template sends and replies, the studio's app's echoes) on one timeline.
Against the real daemon and the Graph double."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from recado.http.csrf import COOKIE
from recado.rules.phone import display_phone
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from tests.test_sender import PHONE, book, settle, stack
from tests.webhook_helpers import post_body, query

ANA = PHONE[1:]
BIA = "5521912345678"
CAIO = "5531955554444"


def national(digits: str) -> str:
    """How the pages show a Brazilian number to the studio (national format)."""
    return display_phone(f"+{digits}")


async def _deliver(daemon: Daemon, client: httpx.AsyncClient, *changes: dict[str, Any]) -> None:
    assert (await post_body(daemon, client, wb.envelope(list(changes)))).status_code == 200
    await daemon.commands.webhooks.drain()


async def _get(daemon: Daemon, client: httpx.AsyncClient, path: str) -> httpx.Response:
    return await client.get(f"{daemon.listeners['operator'].url}{path}")


async def test_the_index_lists_newest_first_and_finds_by_name_or_number(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        now = int(datetime.now(UTC).timestamp())
        await _deliver(
            daemon,
            client,
            wb.inbound_text("Oi", wa_id=ANA, name="Ana Souza", ts=now - 3 * 86400),
            wb.inbound_text("Olá", wa_id=BIA, name="Bia_100%", ts=now - 3600),
            # Caio never wrote: the studio's app wrote to him, most recently of all.
            wb.echo("Seu pedido chegou", to=CAIO, ts=now - 60),
        )
        index = (await _get(daemon, client, "/conversations.json")).json()
        shown = [(c["wa_id"], c["title"], c["phone"], c["window_open"]) for c in index["items"]]
        assert shown == [
            (CAIO, "(31) 95555-4444", None, False),
            (BIA, "Bia_100%", "(21) 91234-5678", True),
            (ANA, "Ana Souza", national(ANA), False),
        ]
        assert index["has_more"] is False

        async def found(q: str) -> list[str]:
            answer = await client.get(
                f"{daemon.listeners['operator'].url}/conversations.json", params={"q": q}
            )
            assert answer.status_code == 200, answer.text
            return [c["wa_id"] for c in answer.json()["items"]]

        assert await found("ana") == [ANA]
        assert await found("SOUZA") == [ANA]
        assert await found("21 91234") == [BIA]  # digits as the operator types them
        assert await found("(31) 95555-4444") == [CAIO]
        # LIKE's wildcards are the operator's text, not patterns.
        assert await found("%") == [BIA]
        assert await found("_") == [BIA]
        assert await found("ninguém") == []

        first = (await _get(daemon, client, "/conversations.json?per_page=2")).json()
        assert [c["wa_id"] for c in first["items"]] == [CAIO, BIA] and first["has_more"]
        second = (await _get(daemon, client, "/conversations.json?per_page=2&page=2")).json()
        assert [c["wa_id"] for c in second["items"]] == [ANA] and not second["has_more"]

        html = (await _get(daemon, client, "/conversations")).text
        assert '<a href="/conversations/5511987654321">Ana Souza</a>' in html
        assert f'<small class="phone">{national(ANA)}</small>' in html


async def test_a_bad_search_or_page_is_a_422_naming_it(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        for query_string, name in (
            ("q=" + "a" * 101, "q"),
            ("q=a%0Ab", "q"),
            ("q=a%00b", "q"),
            ("page=0", "page"),
            ("per_page=100000", "per_page"),
            ("page=99999999999999999999", "page"),
        ):
            answer = await _get(daemon, client, f"/conversations.json?{query_string}")
            assert answer.status_code == 422, (query_string, answer.text)
            assert answer.json()["error"] == "invalid_field"
            assert answer.json()["field"] == name


async def test_the_timeline_holds_inbound_and_outbound_in_order(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await book(daemon, client, apt="apt-1")
        await settle(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_created'",
            [{"state": "sent"}],
        )
        (job,) = query(daemon, "SELECT id, wamid FROM messages WHERE kind = 'appointment_created'")
        # Meta's times as they would be: delivered, then tapped, just before the reply goes.
        now = int(datetime.now(UTC).timestamp())
        await _deliver(
            daemon,
            client,
            wb.status(job["wamid"], "delivered", ts=now - 2, recipient=ANA),
            wb.inbound_button(
                "CONFIRM:apt-1",
                "Confirmar",
                id="wamid.TAP",
                context_id=job["wamid"],
                wa_id=ANA,
                ts=now - 1,
            ),
        )
        await settle(
            daemon, "SELECT state FROM messages WHERE kind = 'button_reply'", [{"state": "sent"}]
        )
        await _deliver(daemon, client, wb.echo("Até amanhã!", to=ANA, ts=now + 3600))
        page = (await _get(daemon, client, f"/conversations/{ANA}.json")).json()
        assert page["title"] == "Ana" and page["phone"] == national(ANA)
        timeline = [(a["direction"], a["type"], a["state"]) for a in page["activity"]]
        assert timeline == [
            ("outbound_by_app", "text", None),
            ("outbound", "button_reply", "sent"),
            ("inbound", "button", None),
            ("outbound", "appointment_created", "delivered"),
        ]
        (reply_job,) = query(
            daemon, "SELECT id, text_body FROM messages WHERE kind = 'button_reply'"
        )
        reply = page["activity"][1]
        assert (reply["message_id"], reply["text"]) == (reply_job["id"], reply_job["text_body"])
        assert "/voucher/apt-1" in reply["text"]
        template = page["activity"][3]
        assert (template["message_id"], template["ts"]) == (job["id"], now - 2)

        html = (await _get(daemon, client, f"/conversations/{ANA}")).text
        assert f'<a href="/messages/{job["id"]}">Aviso de agendamento</a>' in html
        assert '<small class="state">entregue</small>' in html
        assert "enviada pelo recado" in html and "enviada pelo app do estúdio" in html


async def test_a_dry_run_send_is_not_on_the_timeline(daemon_dir: Path) -> None:
    async with stack(daemon_dir, mode="dry_run") as (daemon, _double, client):
        await book(daemon, client, apt="apt-1")
        await settle(
            daemon,
            "SELECT state, dry_run FROM messages WHERE kind = 'appointment_created'",
            [{"state": "sent", "dry_run": 1}],
        )
        page = (await _get(daemon, client, f"/conversations/{ANA}.json")).json()
        assert page["activity"] == []


async def test_a_username_client_is_found_by_username_and_answered_from_their_page(
    daemon_dir: Path,
) -> None:
    """A client Meta names by BSUID alone: the index finds them by username, links their
    page by the BSUID, names them by username; the page's form sends one reply, however
    often it is posted."""
    bsuid = "BR.5500998877665544"
    async with stack(daemon_dir) as (daemon, double, client):
        now = int(datetime.now(UTC).timestamp())
        await _deliver(
            daemon,
            client,
            wb.inbound_text(
                "Oi", wa_id=None, user_id=bsuid, username="bia.lima", name=None, ts=now
            ),
        )
        index = (await _get(daemon, client, "/conversations.json?q=%40bia.li")).json()
        (item,) = index["items"]
        assert (item["key"], item["title"], item["phone"], item["wa_id"]) == (
            bsuid,
            "@bia.lima",
            None,
            None,
        )
        html = (await _get(daemon, client, "/conversations")).text
        assert f'<a href="/conversations/{bsuid}">@bia.lima</a>' in html

        op = str(daemon.listeners["operator"].url)
        page = await client.get(f"{op}/conversations/{bsuid}")
        assert page.status_code == 200
        data = (await _get(daemon, client, f"/conversations/{bsuid}.json")).json()
        assert data["customer_id"] == item["customer_id"] and data["window"]["open"]
        action = f'action="/customers/{item["customer_id"]}/reply"'
        assert action in page.text
        token = page.cookies[COOKIE]
        request_id = re.search(r'name="request_id" value="([0-9a-f]+)"', page.text)
        assert request_id is not None
        form = {
            "csrf_token": token,
            "next": f"/conversations/{bsuid}",
            "request_id": request_id[1],
            "text": "Olá, Bia!",
        }
        for _ in range(2):  # a double click
            posted = await client.post(
                f"{op}/customers/{item['customer_id']}/reply",
                data=form,
                headers={"Origin": op},  # the page's cookie is the client's already
            )
            assert posted.status_code == 303, posted.text
            assert posted.headers["location"] == f"/conversations/{bsuid}"
        await settle(
            daemon,
            "SELECT kind, state, text_body FROM messages",
            [{"kind": "operator_reply", "state": "sent", "text_body": "Olá, Bia!"}],
        )
        (sent,) = [r.body for r in double.sends() if r.body.get("type") == "text"]
        assert sent["recipient"] == bsuid and "to" not in sent
