"""Every kind of webhook item from a user whose phone Meta withholds (a username user, named
by BSUID alone) is applied like any other: never set aside, never a null-keyed or duplicate
customer (docs/whatsapp-notes.md §2). The same items with the phone link it to the BSUID."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as hs

from recado.rules.identity import Identity
from recado.storage.customers import resolve_customer
from recado.storage.migrate import migrate
from recado.testing import webhook_bodies as wb
from recado.whatsapp import webhook_parse as wp
from tests.webhook_helpers import deliver, query, webhook_daemon

BSUID = "BR.7300112233445566"
WA = "5511987654321"
TS = 1796000000


def _value(**fields: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "metadata": wb.metadata(), **fields}


def _echo(to: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "from": wb.BUSINESS_NUMBER,
        "to_user_id": BSUID,
        "id": "wamid.ECHO1",
        "timestamp": str(TS + 5),
        "type": "text",
        "text": {"body": "Até já"},
    }
    if to is not None:
        item["to"] = to
    return {"field": "smb_message_echoes", "value": _value(message_echoes=[item])}


def _history(thread: str | None) -> dict[str, Any]:
    message = {"from_user_id": BSUID, "id": "wamid.H1", "timestamp": str(TS - 9000)}
    chunk = {
        "metadata": {"phase": 0, "chunk_order": 1, "progress": 100},
        "threads": [
            {
                **({"id": thread} if thread else {}),
                "context": {"user_id": BSUID},
                "messages": [{**message, "type": "text", "text": {"body": "antiga"}}],
            }
        ],
    }
    return {"field": "history", "value": _value(history=[chunk])}


def _state_sync(number: str | None) -> dict[str, Any]:
    contact: dict[str, Any] = {"full_name": "Ana Souza", "user_id": BSUID}
    if number is not None:
        contact["phone_number"] = number
    item = {"type": "contact", "contact": contact, "action": "add", "metadata": {"timestamp": "1"}}
    return {"field": "smb_app_state_sync", "value": _value(state_sync=[item])}


def _status(with_phone: bool) -> dict[str, Any]:
    change = wb.status(
        "wamid.UNKNOWN",
        "delivered",
        ts=TS + 7,
        recipient=WA if with_phone else None,
        recipient_user_id=BSUID,
    )
    contact: dict[str, Any] = {"user_id": BSUID, "profile": {"name": "Ana", "username": "@ana"}}
    change["value"]["contacts"] = [contact]
    return change


def _items(with_phone: bool) -> list[dict[str, Any]]:
    wa = WA if with_phone else None
    return [
        wb.inbound_text("Oi", wa_id=wa, user_id=BSUID, username="@ana", ts=TS, id="wamid.T1"),
        # No contacts[] at all: from_user_id alone names her.
        wb.inbound_text("De novo", wa_id=wa, user_id=BSUID, name=None, ts=TS + 1, id="wamid.T2"),
        wb.inbound_button("CONFIRM:nope", "Confirmar", wa_id=wa, user_id=BSUID, id="wamid.B1"),
        wb.inbound_reaction("wamid.T1", wa_id=wa, user_id=BSUID, ts=TS + 2, id="wamid.R1"),
        _echo(wa),
        _history(wa),
        _state_sync(f"+{WA}" if with_phone else None),
        _status(with_phone),
        {"field": "user_id_update", "value": _value(user_id_update=[{"user_id": BSUID}])},
    ]


async def test_username_only_items_are_all_applied_to_one_customer(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        await deliver(daemon, client, *_items(with_phone=False))
        await deliver(daemon, client, *_items(with_phone=False))  # Meta redelivers
        set_aside = query(
            daemon, "SELECT kind, summary FROM webhook_records WHERE kind LIKE '%fail%'"
        )
        assert set_aside == []
        customers = query(daemon, "SELECT bsuid, phone, username, profile_name FROM customers")
        assert customers == [
            {"bsuid": BSUID, "phone": None, "username": "@ana", "profile_name": "Ana"}
        ]
        owners = query(
            daemon,
            "SELECT DISTINCT customer_id FROM inbound_messages UNION "
            "SELECT DISTINCT customer_id FROM echo_messages UNION "
            "SELECT DISTINCT customer_id FROM record_customers",
        )
        assert len(owners) == 1
        (ledger,) = query(daemon, "SELECT * FROM conversations")
        assert (ledger["inbound_count"], ledger["echo_count"]) == (4, 1)
        # Echoes and history never open the window: the client's own newest message does.
        assert ledger["last_inbound_at"] == max(TS + 2, 1767225600)
        (status,) = query(daemon, "SELECT recipient_id, recipient_user_id FROM message_statuses")
        assert status == {"recipient_id": None, "recipient_user_id": BSUID}


async def test_the_same_items_with_the_phone_link_it_once(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        await deliver(daemon, client, *_items(with_phone=False))
        await deliver(daemon, client, wb.inbound_text("Oi", ts=TS + 9, id="wamid.P1"))
        assert len(query(daemon, "SELECT id FROM customers WHERE merged_into IS NULL")) == 2
        # One payload with both ids: the two are one person.
        await deliver(daemon, client, *_items(with_phone=True))
        live = query(daemon, "SELECT bsuid, phone FROM customers WHERE merged_into IS NULL")
        assert live == [{"bsuid": BSUID, "phone": f"+{WA}"}]
        owners = query(daemon, "SELECT DISTINCT customer_id FROM inbound_messages")
        assert len(owners) == 1


@settings(max_examples=60, deadline=None)
@given(
    hs.lists(
        hs.tuples(
            hs.sampled_from([None, BSUID, "BR.1", "BR.ENT.99"]),
            hs.sampled_from([None, WA, "5511912345678", "551187654321"]),
        ),
        max_size=8,
    )
)
def test_any_mix_of_ids_parses_and_never_keys_a_customer_on_nothing(
    ids: list[tuple[str | None, str | None]],
) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrate(conn)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for k, (bsuid, wa) in enumerate(ids):
        body = wb.envelope([wb.inbound_text("x", wa_id=wa, user_id=bsuid, id=f"wamid.{k}")])
        (item,) = wp.parse_body(wb.encode(body)).items
        if bsuid is None and wa is None:
            assert isinstance(item, wp.BadItem)  # names nobody: set aside, saying so
            continue
        assert isinstance(item, wp.InboundMessage)
        assert (item.user_id, item.wa_id) == (bsuid, wa)
        who = Identity(bsuid=item.user_id, wa_id=item.wa_id)
        assert resolve_customer(conn, who, now) is not None
    nulls = conn.execute(
        "SELECT COUNT(*) FROM customers WHERE bsuid IS NULL AND phone IS NULL "
        "AND wa_id IS NULL AND merged_into IS NULL"
    ).fetchone()[0]
    assert nulls == 0
    current = conn.execute(
        "SELECT kind, value, COUNT(DISTINCT customer_id) FROM customer_aliases "
        "WHERE until IS NULL GROUP BY kind, value HAVING COUNT(DISTINCT customer_id) > 1"
    ).fetchall()
    assert current == []
