"""Statuses from Meta applied to recado's messages (part of ``webhook_apply``'s
transaction): matched by wamid, then by the job id Meta echoes in
``biz_opaque_callback_data``, never by the recipient's phone; a status that arrives before
the send's answer is kept pending and applied when the wamid is learned
(``apply_pending_statuses``). A status of a send that reached its customer links the ids it
names to them (``storage/customers.py``).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import iso, parse_iso
from recado.rules.identity import Identity
from recado.rules.status_order import apply_status
from recado.storage.customers import reached_customer, resolve_customer
from recado.storage.status_effects import after_applied, keep_pricing
from recado.whatsapp import webhook_parse as wp


def apply_status_item(
    conn: sqlite3.Connection, inbox_id: int, s: wp.StatusUpdate, now: datetime
) -> str:
    """A status from Meta, once per (wamid, status): applied to its message, or kept pending
    until the send's answer names the wamid."""
    exists = conn.execute(
        "SELECT 1 FROM message_statuses WHERE wamid = ? AND status = ?", (s.wamid, s.status)
    ).fetchone()
    if exists:
        return "status_duplicate"
    received_at = iso(now)
    # Matched by wamid, then by the job id Meta echoes; never by the recipient's phone.
    message = _message_for(conn, s.wamid, s.callback_data, now)
    outcome, reason, message_id = "pending", None, None
    if message is not None:
        message_id = message["id"]
        outcome, reason = _apply_to_message(
            conn,
            message,
            s.status,
            s.timestamp,
            received_at,
            s.pricing_json,
            errors_json(s.errors),
        )
        _link_recipient(conn, message, s, now)
    conn.execute(
        "INSERT INTO message_statuses(wamid, status, ts, recipient_id, recipient_user_id, "
        "callback_data, conversation_id, conversation_expires_at, conversation_origin, "
        "pricing_json, errors_json, message_id, outcome, ignored_reason, inbox_id, "
        "received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            s.wamid,
            s.status,
            s.timestamp,
            s.recipient_id,
            s.recipient_user_id,
            s.callback_data,
            s.conversation_id,
            s.conversation_expires_at,
            s.conversation_origin,
            s.pricing_json,
            errors_json(s.errors),
            message_id,
            outcome,
            reason,
            inbox_id,
            received_at,
        ),
    )
    return f"status_{outcome}"


def _link_recipient(
    conn: sqlite3.Connection, message: sqlite3.Row, s: wp.StatusUpdate, now: datetime
) -> None:
    """A status of a send that reached the message's customer names who they are at Meta
    (``recipient_user_id``, the phone when shared, the username): the same person. A send
    redirected to the test recipient reached someone else and links nothing."""
    c = s.contact
    who = Identity(
        bsuid=s.recipient_user_id or (c.user_id if c else None),
        wa_id=s.recipient_id or (c.wa_id if c else None),
        username=c.username if c else None,
        profile_name=c.profile_name if c else None,
    )
    if (who.has_key or who.username) and reached_customer(conn, message["id"]):
        resolve_customer(conn, who, now, same_as=[message["customer_id"]])


def _message_for(
    conn: sqlite3.Connection, wamid: str, callback_data: str | None, now: datetime
) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, state, wamid, customer_id FROM messages WHERE wamid = ?", (wamid,)
    ).fetchone()
    if row is not None or not callback_data:
        return row
    # A send whose answer we never saw (timeout, crash) is found by the job id Meta echoes
    # back, and learns its wamid here.
    row = conn.execute(
        "SELECT id, state, wamid, customer_id FROM messages WHERE id = ? AND wamid IS NULL",
        (callback_data,),
    ).fetchone()
    if row is not None:
        conn.execute("UPDATE messages SET wamid = ? WHERE id = ?", (wamid, row["id"]))
        # Statuses of this wamid kept pending (they carried no callback data) apply first.
        if apply_pending_statuses(conn, row["id"], wamid, now):
            row = conn.execute(
                "SELECT id, state, wamid, customer_id FROM messages WHERE id = ?", (row["id"],)
            ).fetchone()
    return row


def _apply_to_message(
    conn: sqlite3.Connection,
    message: sqlite3.Row,
    status: str,
    ts: int,
    received_at: str,
    pricing_json: str | None,
    errors_json: str | None,
) -> tuple[str, str | None]:
    keep_pricing(conn, message["id"], pricing_json, ts)
    decision = apply_status(message["state"], status)
    if not decision.applied:
        return "ignored", decision.reason
    conn.execute(
        "UPDATE messages SET state = ?, state_ts = ?, updated_at = ? WHERE id = ?",
        (decision.new_state, ts, received_at, message["id"]),
    )
    after_applied(
        conn,
        message["id"],
        message["state"],
        decision.new_state,
        errors_json,
        parse_iso(received_at),
    )
    return "applied", decision.reason


def apply_pending_statuses(
    conn: sqlite3.Connection, message_id: str, wamid: str, now: datetime
) -> int:
    """When a message learns its wamid, apply statuses that arrived before it, in rank order.

    Called by the sender in the transaction that records the wamid.
    """
    rows = conn.execute(
        "SELECT id, status, ts, pricing_json, errors_json FROM message_statuses "
        "WHERE wamid = ? AND outcome = 'pending' "
        "ORDER BY ts, id",
        (wamid,),
    ).fetchall()
    applied = 0
    for row in rows:
        message = conn.execute(
            "SELECT id, state, wamid FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        outcome, reason = _apply_to_message(
            conn,
            message,
            row["status"],
            row["ts"],
            iso(now),
            row["pricing_json"],
            row["errors_json"],
        )
        conn.execute(
            "UPDATE message_statuses SET outcome = ?, ignored_reason = ?, message_id = ? "
            "WHERE id = ?",
            (outcome, reason, message_id, row["id"]),
        )
        applied += outcome == "applied"
    return applied


def errors_json(errors: Any) -> str | None:
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
