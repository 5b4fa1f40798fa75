"""Turning one committed webhook body into rows, idempotently (a storage write function).

Runs inside the storage actor's transaction together with marking the body processed, so a
body is applied exactly once or not at all. Applying the same body again (a duplicate delivery
from Meta, or ``webhooks replay``) changes nothing: inbound messages are keyed by wamid,
statuses by (wamid, status), echoes by wamid, other records by (inbox id, position).

One bad item never fails its body: each item applies inside its own SAVEPOINT, and an item
whose apply raises is rolled back alone and kept as a ``webhook_records`` row of kind
``item_failed`` (the error, the item as received); the other items apply and the body is
marked processed. ``webhooks replay`` tries failed items again; one that now applies loses
its failure record. A storage fault (disk full, read-only ...) is not the item's fault: it
fails the whole body, which is kept for a later attempt.

Statuses are applied by ``webhook_statuses``; this module keeps inbound messages, echoes,
button taps and the records kept verbatim.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from recado.clock import from_unix, iso, parse_iso
from recado.rules.buttons import button_action, parse_payload
from recado.rules.flows import FlowTable
from recado.rules.identity import Identity
from recado.rules.kinds import BUTTON_REPLY
from recado.rules.message_identity import message_id
from recado.rules.voucher import voucher_url
from recado.rules.window import opens_window
from recado.storage.alerts import add_alert
from recado.storage.connection_webhooks import ACCOUNT_FIELDS, apply_account_field
from recado.storage.contingency import plan_contingency_reply
from recado.storage.customers import (
    change_user_id,
    link_record,
    reached_customer,
    resolve_customer,
)
from recado.storage.events import NewEvent, insert_event
from recado.storage.faults import fault_kind
from recado.storage.ledger import record_echo, record_inbound
from recado.storage.message_queue import NewMessage, queue_message
from recado.storage.templates import apply_template_update
from recado.storage.webhook_set_aside import record_failure
from recado.storage.webhook_statuses import apply_status_item, errors_json
from recado.storage.whatsapp_events import emit_for
from recado.whatsapp import webhook_parse as wp

# What a body applied for the first time that may have emitted a WhatsApp event
# (storage/whatsapp_events.py): its deliveries wait to be woken.
MAY_EMIT = frozenset({"inbound", "status_applied", "status_pending"})


@dataclass(frozen=True)
class ReplyContext:
    """What button replies need that the database does not hold."""

    tz: ZoneInfo
    studio_name: str
    booking_url: str
    public_base_url: str
    voucher_key: bytes
    mode: str
    flows: FlowTable = field(default_factory=dict)
    contingency_text: str = ""  # the reply while an incident has it on (rules/contingency)


def apply_body(
    conn: sqlite3.Connection,
    inbox_id: int,
    body: bytes,
    now: datetime,
    replies: ReplyContext | None = None,
) -> dict[str, int]:
    """Apply every item of the body, each on its own; mark it processed. Returns counts for
    the log (``item_failed``: items set aside, ``item_recovered``: failed before, applied now).
    """
    parsed = wp.parse_body(body)
    counts: dict[str, int] = {}
    received_at = iso(now)
    for seq, item in enumerate(parsed.items):
        conn.execute("SAVEPOINT item")
        try:
            # A failure recorded by an earlier attempt gives way to the item itself.
            recovered = conn.execute(
                "DELETE FROM webhook_records WHERE inbox_id = ? AND seq = ? "
                "AND kind = 'item_failed'",
                (inbox_id, seq),
            ).rowcount
            kind = _apply_item(conn, inbox_id, seq, item, now)
            if replies is not None:
                emit_for(conn, item, kind, now, replies.flows)
            if kind == "inbound" and isinstance(item, wp.InboundMessage) and replies is not None:
                if plan_contingency_reply(conn, item, replies.contingency_text, replies.mode, now):
                    counts["contingency_reply"] = counts.get("contingency_reply", 0) + 1
                kind = _answer_button(conn, item, replies, now) or kind
        except Exception as exc:
            if fault_kind(exc) is not None:
                # The storage, not the item: the whole body waits for storage to work again.
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK TO item")
                    conn.execute("RELEASE item")
                raise
            conn.execute("ROLLBACK TO item")
            conn.execute("RELEASE item")
            record_failure(conn, inbox_id, seq, item, exc, received_at)
            kind = "item_failed"
        else:
            conn.execute("RELEASE item")
            if recovered:
                counts["item_recovered"] = counts.get("item_recovered", 0) + 1
        counts[kind] = counts.get(kind, 0) + 1
    conn.execute(
        "UPDATE webhook_inbox SET processed_at = ?, error = NULL, attempts = attempts + 1 "
        "WHERE id = ? AND processed_at IS NULL",
        (received_at, inbox_id),
    )
    return counts


def _apply_item(conn: sqlite3.Connection, inbox_id: int, seq: int, item: Any, now: datetime) -> str:
    if isinstance(item, wp.InboundMessage):
        return _inbound(conn, inbox_id, item, now)
    if isinstance(item, wp.StatusUpdate):
        return apply_status_item(conn, inbox_id, item, now)
    if isinstance(item, wp.EchoMessage):
        return _echo(conn, inbox_id, item, now)
    if isinstance(item, wp.TemplateStatus):
        # The stored template changes at once; the item is kept as a record too.
        apply_template_update(conn, inbox_id, item, iso(now))
    kind, field, wa_id, summary, data = _record_of(item)
    cur = conn.execute(
        "INSERT OR IGNORE INTO webhook_records(inbox_id, seq, kind, field, wa_id, summary, "
        "data_json, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (inbox_id, seq, kind, field, wa_id, summary, data, iso(now)),
    )
    # Account updates change the connection once, when their record is first kept.
    if (
        cur.rowcount
        and isinstance(item, wp.OtherField)
        and item.field in ACCOUNT_FIELDS
        and apply_account_field(conn, item.field, item.value_json, item.entry_time, now)
    ):
        return "connection_update"
    people = _people_of(item)
    if people:
        record_id = conn.execute(
            "SELECT id FROM webhook_records WHERE inbox_id = ? AND seq = ?", (inbox_id, seq)
        ).fetchone()[0]
        for who in people:
            # History and the address book name the studio's clients: each becomes (or is
            # found as) a customer, never an error for one without a phone.
            customer = resolve_customer(conn, who, now)
            if customer is not None:
                link_record(conn, record_id, customer)
    return kind


def _people_of(item: Any) -> list[Identity]:
    if isinstance(item, wp.HistoryChunk):
        return [Identity(bsuid=t.user_id, wa_id=t.wa_id) for t in item.threads]
    if isinstance(item, wp.StateSync) and (item.user_id or item.wa_id):
        return [Identity(bsuid=item.user_id, wa_id=item.wa_id)]
    return []


def _inbound(conn: sqlite3.Connection, inbox_id: int, m: wp.InboundMessage, now: datetime) -> str:
    if conn.execute("SELECT 1 FROM inbound_messages WHERE wamid = ?", (m.wamid,)).fetchone():
        return "inbound_duplicate"
    customer = _customer_of(conn, m, now)
    received_at = iso(now)
    conn.execute(
        "INSERT INTO inbound_messages(wamid, customer_id, wa_id, user_id, profile_name, "
        "username, ts, type, context_id, reply_payload, reply_title, text_body, content_json, "
        "errors_json, phone_number_id, inbox_id, received_at, original_wamid) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            m.wamid,
            customer,
            m.wa_id,
            m.user_id,
            m.profile_name,
            m.username,
            m.timestamp,
            m.type,
            m.context_id,
            m.reply_payload,
            m.reply_title,
            m.text_body,
            m.content_json,
            errors_json(m.errors),
            m.phone_number_id,
            inbox_id,
            received_at,
            m.original_wamid,
        ),
    )
    # Only the client writing moves the window, and never back (docs/reference.md §7,
    # rules/window.py); a system message is counted, not a message from the client.
    arrived = _arrival(conn, inbox_id, received_at)
    record_inbound(
        conn,
        customer,
        m.timestamp,
        m.wamid,
        received_at,
        arrived=arrived,
        opens=opens_window(m.type),
    )
    return "inbound"


def _arrival(conn: sqlite3.Connection, inbox_id: int, processed_at: str) -> datetime:
    """When the daemon received the body (a replay applies it later): the latest instant
    its messages may open the window from (rules/window.window_start)."""
    row = conn.execute("SELECT received_at FROM webhook_inbox WHERE id = ?", (inbox_id,)).fetchone()
    return parse_iso(row[0] if row is not None else processed_at)


def _customer_of(conn: sqlite3.Connection, m: wp.InboundMessage, now: datetime) -> int:
    """The customer a message is from. A change of the user's ids moves everything of the
    previous id to the new one, named by ``system.previous_user_id`` and ``system.user_id``
    (whether ``from`` holds the old or the new one is not said)."""
    change = m.system
    if change is not None and change.type in wp.ID_CHANGES and change.user_id:
        return change_user_id(
            conn,
            change.previous_user_id,
            change.user_id,
            now,
            number_changed=change.type == "user_changed_number",
            new_wa_id=change.new_wa_id,
        )
    who = Identity(bsuid=m.user_id, wa_id=m.wa_id, username=m.username, profile_name=m.profile_name)
    customer = resolve_customer(conn, who, now)
    if customer is None:
        raise ValueError("the message names no user (no from, no from_user_id)")
    if change is not None and change.type == "user_changed_number" and change.new_wa_id:
        # The older form, without user ids: ``from`` was the old number, system.wa_id the new.
        new = Identity(wa_id=change.new_wa_id)
        customer = resolve_customer(conn, new, now, same_as=[customer], forget_number=True)
        assert customer is not None
    return customer


def _echo(conn: sqlite3.Connection, inbox_id: int, e: wp.EchoMessage, now: datetime) -> str:
    if conn.execute("SELECT 1 FROM echo_messages WHERE wamid = ?", (e.wamid,)).fetchone():
        return "echo_duplicate"
    customer = resolve_customer(conn, Identity(bsuid=e.user_id, wa_id=e.wa_id), now)
    if customer is None:
        raise ValueError("the echo names no user (no to, no to_user_id)")
    received_at = iso(now)
    conn.execute(
        "INSERT INTO echo_messages(wamid, customer_id, wa_id, user_id, ts, type, text_body, "
        "content_json, inbox_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            e.wamid,
            customer,
            e.wa_id,
            e.user_id,
            e.timestamp,
            e.type,
            e.text_body,
            e.content_json,
            inbox_id,
            received_at,
        ),
    )
    # Outbound by the studio's app: on the ledger, but it never opens the window.
    record_echo(conn, customer, e.timestamp, received_at)
    return "echo"


def _answer_button(
    conn: sqlite3.Connection, m: wp.InboundMessage, ctx: ReplyContext, now: datetime
) -> str | None:
    """Plan the reply to a button tap in the tap's own transaction (once per wamid)."""
    parsed = parse_payload(m.reply_payload)
    if parsed is None:
        return None
    button, appointment_id = parsed
    tapper = conn.execute(
        "SELECT customer_id FROM inbound_messages WHERE wamid = ?", (m.wamid,)
    ).fetchone()["customer_id"]
    if m.context_id:
        # The tapped template names its appointment more reliably than a payload can, and
        # the person it went to: whoever tapped is them (a template sent by phone, tapped by
        # a user Meta names by BSUID alone, links the two).
        row = conn.execute(
            "SELECT id, appointment_id, customer_id FROM messages WHERE wamid = ?",
            (m.context_id,),
        ).fetchone()
        if row is not None and row["appointment_id"]:
            appointment_id = row["appointment_id"]
        if row is not None and row["customer_id"] is not None and reached_customer(conn, row["id"]):
            tapper = resolve_customer(conn, Identity(), now, same_as=[tapper, row["customer_id"]])
    apt = conn.execute("SELECT * FROM appointments WHERE id = ?", (appointment_id,)).fetchone()
    handled = "button_unmatched"
    if apt is not None:
        handled = f"button_{button.lower()}"
        link = voucher_url(ctx.public_base_url, ctx.voucher_key, appointment_id)
        action = button_action(
            button,
            apt["client_name"],
            apt["service"],
            parse_iso(apt["starts_at"]),
            ctx.tz,
            ctx.studio_name,
            ctx.booking_url,
            link,
        )
        if action.confirm:
            conn.execute(
                "UPDATE appointments SET status = 'confirmed', confirmed_at = ?, updated_at = ? "
                "WHERE id = ? AND status = 'scheduled'",
                (iso(now), iso(now), appointment_id),
            )
        if action.event_type:
            data = {
                "appointment_id": appointment_id,
                "wa_id": m.wa_id,
                "user_id": m.user_id,
                "wamid": m.wamid,
            }
            tapped = NewEvent(
                f"btn:{m.wamid}",
                action.event_type,
                from_unix(m.timestamp) or now,
                data,
                m.wamid,
                "button",
            )
            insert_event(conn, tapped, now, ctx.flows)
        if action.alert:
            add_alert(
                conn,
                now,
                "warning",
                f"button_{button.lower()}",
                appointment_id,
                f'{apt["client_name"]} tocou em "{m.reply_title or button}" ({apt["service"]}).',
                f'{apt["client_name"]} tapped "{m.reply_title or button}" ({apt["service"]}).',
            )
        if ctx.mode != "disabled":
            reply = NewMessage(
                message_id(BUTTON_REPLY, m.wamid),
                BUTTON_REPLY,
                now,
                customer_id=tapper,
                appointment_id=appointment_id,
                text_body=action.reply,
                inbound_wamid=m.wamid,
            )
            queue_message(conn, reply, now)
    conn.execute(
        "UPDATE inbound_messages SET handled_at = ?, handled_as = ? WHERE wamid = ?",
        (iso(now), handled, m.wamid),
    )
    return handled


def _record_of(item: Any) -> tuple[str, str, str | None, str, str]:
    """(kind, field, wa_id, summary, data_json) for items kept verbatim."""
    if isinstance(item, wp.HistoryChunk):
        summary = (
            f"phase {item.phase}, chunk {item.chunk_order}, {item.progress}%, "
            f"{item.message_count} messages"
        )
        if item.error_code is not None:
            summary = f"history not shared (error {item.error_code})"
        return "history", "history", None, summary, item.data_json
    if isinstance(item, wp.StateSync):
        return "state_sync", "smb_app_state_sync", item.wa_id, item.summary, item.data_json
    if isinstance(item, wp.TemplateStatus):
        summary = f"{item.name} ({item.language}): {item.event}"
        if item.reason:
            summary += f" — {item.reason}"
        return "template_status", item.field, None, summary, item.data_json
    if isinstance(item, wp.ValueErrors):
        codes = ", ".join(str(e.code) for e in item.errors)
        return (
            "value_errors",
            item.field,
            None,
            f"errors {codes}",
            errors_json(item.errors) or "[]",
        )
    if isinstance(item, wp.BadItem):
        return "bad_item", item.field, None, f"{item.path}: {item.problem}", item.raw_json
    if isinstance(item, wp.OtherField):
        return "other", item.field, None, item.field, item.value_json
    return "other", type(item).__name__, None, "", json.dumps(repr(item))
