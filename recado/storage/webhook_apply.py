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
from recado.rules.kinds import BUTTON_REPLY
from recado.rules.message_identity import message_id
from recado.rules.status_order import apply_status
from recado.rules.voucher import voucher_url
from recado.storage.alerts import add_alert
from recado.storage.connection_webhooks import ACCOUNT_FIELDS, apply_account_field
from recado.storage.events import NewEvent, insert_event
from recado.storage.faults import fault_kind
from recado.storage.ledger import record_inbound
from recado.storage.message_queue import NewMessage, queue_message
from recado.storage.templates import apply_template_update
from recado.storage.webhook_set_aside import record_failure
from recado.whatsapp import webhook_parse as wp


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
            kind = _apply_item(conn, inbox_id, seq, item, received_at)
            if kind == "inbound" and isinstance(item, wp.InboundMessage) and replies is not None:
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


def _apply_item(
    conn: sqlite3.Connection, inbox_id: int, seq: int, item: Any, received_at: str
) -> str:
    if isinstance(item, wp.InboundMessage):
        return _inbound(conn, inbox_id, item, received_at)
    if isinstance(item, wp.StatusUpdate):
        return _status(conn, inbox_id, item, received_at)
    if isinstance(item, wp.EchoMessage):
        return _echo(conn, inbox_id, item, received_at)
    if isinstance(item, wp.TemplateStatus):
        # The stored template changes at once; the item is kept as a record too.
        apply_template_update(conn, inbox_id, item, received_at)
    kind, field, wa_id, summary, data = _record_of(item)
    cur = conn.execute(
        "INSERT OR IGNORE INTO webhook_records(inbox_id, seq, kind, field, wa_id, summary, "
        "data_json, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (inbox_id, seq, kind, field, wa_id, summary, data, received_at),
    )
    # Account updates change the connection once, when their record is first kept.
    if cur.rowcount and isinstance(item, wp.OtherField) and item.field in ACCOUNT_FIELDS:
        at = parse_iso(received_at)
        if apply_account_field(conn, item.field, item.value_json, item.entry_time, at):
            return "connection_update"
    return kind


def _inbound(
    conn: sqlite3.Connection, inbox_id: int, m: wp.InboundMessage, received_at: str
) -> str:
    cur = conn.execute(
        "INSERT OR IGNORE INTO inbound_messages(wamid, wa_id, profile_name, ts, type, "
        "context_id, reply_payload, reply_title, text_body, content_json, errors_json, "
        "phone_number_id, inbox_id, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            m.wamid,
            m.wa_id,
            m.profile_name,
            m.timestamp,
            m.type,
            m.context_id,
            m.reply_payload,
            m.reply_title,
            m.text_body,
            m.content_json,
            _errors_json(m.errors),
            m.phone_number_id,
            inbox_id,
            received_at,
        ),
    )
    if cur.rowcount == 0:
        return "inbound_duplicate"
    # Only messages from the client move the window, and never back (docs/reference.md §7,
    # rules/window.py).
    record_inbound(conn, m.wa_id, m.profile_name, m.timestamp, m.wamid, received_at)
    return "inbound"


def _echo(conn: sqlite3.Connection, inbox_id: int, e: wp.EchoMessage, received_at: str) -> str:
    cur = conn.execute(
        "INSERT OR IGNORE INTO echo_messages(wamid, wa_id, ts, type, text_body, content_json, "
        "inbox_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.wamid, e.wa_id, e.timestamp, e.type, e.text_body, e.content_json, inbox_id, received_at),
    )
    if cur.rowcount == 0:
        return "echo_duplicate"
    # Outbound by the studio's app: on the ledger, but it never opens the window.
    conn.execute(
        "INSERT INTO conversations(wa_id, last_echo_at, last_outbound_at, echo_count, "
        "updated_at) VALUES (?, ?, ?, 1, ?) "
        "ON CONFLICT(wa_id) DO UPDATE SET "
        " last_echo_at = MAX(COALESCE(last_echo_at, 0), excluded.last_echo_at),"
        " last_outbound_at = MAX(COALESCE(last_outbound_at, 0), excluded.last_outbound_at),"
        " echo_count = echo_count + 1,"
        " updated_at = excluded.updated_at",
        (e.wa_id, e.timestamp, e.timestamp, received_at),
    )
    return "echo"


def _status(conn: sqlite3.Connection, inbox_id: int, s: wp.StatusUpdate, received_at: str) -> str:
    exists = conn.execute(
        "SELECT 1 FROM message_statuses WHERE wamid = ? AND status = ?", (s.wamid, s.status)
    ).fetchone()
    if exists:
        return "status_duplicate"
    message = _message_for(conn, s.wamid, s.callback_data)
    outcome, reason, message_id = "pending", None, None
    if message is not None:
        message_id = message["id"]
        outcome, reason = _apply_to_message(conn, message, s.status, s.timestamp, received_at)
    conn.execute(
        "INSERT INTO message_statuses(wamid, status, ts, recipient_id, callback_data, "
        "conversation_id, conversation_expires_at, conversation_origin, pricing_json, "
        "errors_json, message_id, outcome, ignored_reason, inbox_id, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            s.wamid,
            s.status,
            s.timestamp,
            s.recipient_id,
            s.callback_data,
            s.conversation_id,
            s.conversation_expires_at,
            s.conversation_origin,
            s.pricing_json,
            _errors_json(s.errors),
            message_id,
            outcome,
            reason,
            inbox_id,
            received_at,
        ),
    )
    return f"status_{outcome}"


def _message_for(
    conn: sqlite3.Connection, wamid: str, callback_data: str | None
) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, state, wamid FROM messages WHERE wamid = ?", (wamid,)
    ).fetchone()
    if row is not None or not callback_data:
        return row
    # A send whose answer we never saw (timeout, crash) is found by the job id Meta echoes
    # back, and learns its wamid here.
    row = conn.execute(
        "SELECT id, state, wamid FROM messages WHERE id = ? AND wamid IS NULL", (callback_data,)
    ).fetchone()
    if row is not None:
        conn.execute("UPDATE messages SET wamid = ? WHERE id = ?", (wamid, row["id"]))
    return row


def _apply_to_message(
    conn: sqlite3.Connection, message: sqlite3.Row, status: str, ts: int, received_at: str
) -> tuple[str, str | None]:
    decision = apply_status(message["state"], status)
    if not decision.applied:
        return "ignored", decision.reason
    conn.execute(
        "UPDATE messages SET state = ?, state_ts = ?, updated_at = ? WHERE id = ?",
        (decision.new_state, ts, received_at, message["id"]),
    )
    return "applied", decision.reason


def apply_pending_statuses(
    conn: sqlite3.Connection, message_id: str, wamid: str, now: datetime
) -> int:
    """When a message learns its wamid, apply statuses that arrived before it, in rank order.

    Called by the sender in the transaction that records the wamid.
    """
    rows = conn.execute(
        "SELECT id, status, ts FROM message_statuses WHERE wamid = ? AND outcome = 'pending' "
        "ORDER BY ts, id",
        (wamid,),
    ).fetchall()
    applied = 0
    for row in rows:
        message = conn.execute(
            "SELECT id, state, wamid FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        outcome, reason = _apply_to_message(conn, message, row["status"], row["ts"], iso(now))
        conn.execute(
            "UPDATE message_statuses SET outcome = ?, ignored_reason = ?, message_id = ? "
            "WHERE id = ?",
            (outcome, reason, message_id, row["id"]),
        )
        applied += outcome == "applied"
    return applied


def _answer_button(
    conn: sqlite3.Connection, m: wp.InboundMessage, ctx: ReplyContext, now: datetime
) -> str | None:
    """Plan the reply to a button tap in the tap's own transaction (once per wamid)."""
    parsed = parse_payload(m.reply_payload)
    if parsed is None:
        return None
    button, appointment_id = parsed
    if m.context_id:
        # The tapped template names its appointment more reliably than a payload can.
        row = conn.execute(
            "SELECT appointment_id FROM messages WHERE wamid = ?", (m.context_id,)
        ).fetchone()
        if row is not None and row["appointment_id"]:
            appointment_id = row["appointment_id"]
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
            data = {"appointment_id": appointment_id, "wa_id": m.wa_id, "wamid": m.wamid}
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
                wa_id=m.wa_id,
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
            _errors_json(item.errors) or "[]",
        )
    if isinstance(item, wp.BadItem):
        return "bad_item", item.field, None, f"{item.path}: {item.problem}", item.raw_json
    if isinstance(item, wp.OtherField):
        return "other", item.field, None, item.field, item.value_json
    return "other", type(item).__name__, None, "", json.dumps(repr(item))


def _errors_json(errors: Any) -> str | None:
    if not errors:
        return None
    return json.dumps(
        [
            {
                "code": e.code,
                "title": e.title,
                "message": e.message,
                "details": e.details,
            }
            for e in errors
        ],
        ensure_ascii=False,
    )
