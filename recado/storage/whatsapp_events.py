"""WhatsApp's news for the studio's systems: the events a webhook item emits, written by the
one event writer (``storage/events.insert_event``) in the item's own transaction, so an
item is applied with its event or not at all (``rules/inbound_events`` says which and
what they carry).

Called by ``webhook_apply`` for a message applied for the first time (a redelivery is a
duplicate and emits nothing; the event id, derived from the wamid, would refuse it anyway)
and for a ``failed`` status that applied to its message or waits for it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import from_unix, iso
from recado.rules import inbound_events as ie
from recado.rules.buttons import parse_payload
from recado.rules.flows import FlowTable
from recado.rules.kinds import MESSAGE_FAILED_EVENT, MESSAGE_RECEIVED_EVENT
from recado.rules.phone import phone_of_wa_id
from recado.rules.send_outcome import after_failed_status
from recado.storage.customers import customer_row
from recado.storage.events import NewEvent, insert_event
from recado.whatsapp import webhook_parse as wp

SOURCE = "whatsapp"


def emit_for(
    conn: sqlite3.Connection, item: wp.Item, applied_as: str, now: datetime, flows: FlowTable
) -> bool:
    """The event ``item`` emits, now that ``webhook_apply`` applied it as ``applied_as``;
    True when one was written."""
    if applied_as == "inbound" and isinstance(item, wp.InboundMessage):
        return emit_received(conn, item, now, flows)
    if (
        isinstance(item, wp.StatusUpdate)
        and item.status == "failed"
        and applied_as in ("status_applied", "status_pending")
    ):
        # Pending: its message is not known yet (the send's answer is still on its way).
        row = conn.execute(
            "SELECT message_id FROM message_statuses WHERE wamid = ? AND status = 'failed'",
            (item.wamid,),
        ).fetchone()
        return emit_failed(conn, item, row["message_id"] if row is not None else None, now, flows)
    return False


def emit_received(
    conn: sqlite3.Connection, m: wp.InboundMessage, now: datetime, flows: FlowTable
) -> bool:
    """The ``whatsapp.message.received`` of a person's message; False when its type emits
    nothing (or it was emitted before)."""
    if not ie.emits_received(m.type):
        return False
    at = from_unix(m.timestamp) or now
    data = ie.received_data(
        wamid=m.wamid,
        mtype=m.type,
        timestamp=iso(at),
        client=_client(conn, _customer_of_inbound(conn, m.wamid), m),
        text=m.text_body if m.text_body is not None else m.reply_title,
        payload=m.reply_payload,
        context_wamid=m.context_id,
        appointment_id=_appointment_of(conn, m.context_id, m.reply_payload),
        content=_decoded(m.content_json),
    )
    event = NewEvent(
        ie.received_event_id(m.wamid), MESSAGE_RECEIVED_EVENT, at, data, m.wamid, SOURCE
    )
    return insert_event(conn, event, now, flows)


def emit_failed(
    conn: sqlite3.Connection,
    s: wp.StatusUpdate,
    message_id: str | None,
    now: datetime,
    flows: FlowTable,
) -> bool:
    """The ``whatsapp.message.failed`` of a failed status, once per wamid."""
    row = None
    if message_id is not None:
        row = conn.execute(
            "SELECT id, kind, appointment_id, customer_id FROM messages WHERE id = ?",
            (message_id,),
        ).fetchone()
    first = s.errors[0] if s.errors else None
    code = first.code if first else None
    title = (first.title or first.message) if first else None
    details = first.details if first else None
    reason = after_failed_status(message_id or "", code, title, details).reason_code
    customer = row["customer_id"] if row is not None else None
    at = from_unix(s.timestamp) or now
    data = ie.failed_data(
        wamid=s.wamid,
        timestamp=iso(at),
        client=_client(conn, customer, None, s),
        message_id=message_id,
        kind=row["kind"] if row is not None else None,
        appointment_id=row["appointment_id"] if row is not None else None,
        error=ie.FailedError(code, title, details),
        reason_code=reason,
    )
    event = NewEvent(ie.failed_event_id(s.wamid), MESSAGE_FAILED_EVENT, at, data, s.wamid, SOURCE)
    return insert_event(conn, event, now, flows)


def _customer_of_inbound(conn: sqlite3.Connection, wamid: str) -> int | None:
    row = conn.execute(
        "SELECT customer_id FROM inbound_messages WHERE wamid = ?", (wamid,)
    ).fetchone()
    return int(row["customer_id"]) if row is not None and row["customer_id"] else None


def _client(
    conn: sqlite3.Connection,
    customer_id: int | None,
    m: wp.InboundMessage | None,
    s: wp.StatusUpdate | None = None,
) -> ie.Client:
    """Who the item is about, as the customer stands now (their BSUID, phone, username and
    name: the studio's systems name a client by phone when one is known), else as the item
    itself names them."""
    row = customer_row(conn, customer_id) if customer_id is not None else None
    if row is not None:
        return ie.Client(
            bsuid=row.bsuid,
            phone=row.phone,
            name=(m.profile_name if m else None) or row.profile_name,
            username=(m.username if m else None) or row.username,
        )
    if m is not None:
        phone = phone_of_wa_id(m.wa_id) if m.wa_id else None
        return ie.Client(bsuid=m.user_id, phone=phone, name=m.profile_name, username=m.username)
    if s is not None:
        phone = phone_of_wa_id(s.recipient_id) if s.recipient_id else None
        return ie.Client(bsuid=s.recipient_user_id, phone=phone)
    return ie.Client()


def _appointment_of(
    conn: sqlite3.Connection, context_id: str | None, payload: str | None
) -> str | None:
    """The appointment the message answers: the one of the template it replies to, else the
    one a button's payload names, when recado has it."""
    if context_id:
        row = conn.execute(
            "SELECT appointment_id FROM messages WHERE wamid = ?", (context_id,)
        ).fetchone()
        if row is not None and row["appointment_id"]:
            return str(row["appointment_id"])
    parsed = parse_payload(payload)
    if parsed is not None:
        row = conn.execute("SELECT id FROM appointments WHERE id = ?", (parsed[1],)).fetchone()
        if row is not None:
            return str(row["id"])
    return None


def _decoded(content_json: str) -> Any:
    try:
        return json.loads(content_json)
    except ValueError:
        return None
