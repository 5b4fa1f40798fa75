"""Queries of the conversation ledger and a client's recent timeline."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec


class ConversationRow(msgspec.Struct, frozen=True, kw_only=True):
    """One client's ledger as stored; the times are Meta's unix seconds."""

    wa_id: str
    profile_name: str | None
    last_inbound_at: int | None
    last_inbound_wamid: str | None
    last_outbound_at: int | None
    last_echo_at: int | None
    inbound_count: int
    outbound_count: int
    echo_count: int
    updated_at: str


class Activity(msgspec.Struct, frozen=True, kw_only=True):
    """An inbound message, what recado sent, or an echo of what the studio's app sent, as
    the page lists it."""

    direction: str  # inbound | outbound (by recado) | outbound_by_app
    wamid: str
    ts: int
    type: str  # the message type; for recado's sends, the message kind
    text: str | None  # an edited text's last version; None once the client deleted it
    received_at: str
    edited: bool = False
    revoked: bool = False
    state: str | None = None  # recado's sends: the message state now (held, read, failed ...)
    message_id: str | None = None  # recado's sends: the job, for its page


def ledger_row(conn: sqlite3.Connection, wa_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM conversations WHERE wa_id = ?", (wa_id,)).fetchone()
    return dict(row) if row else None


def conversation(conn: sqlite3.Connection, wa_id: str) -> ConversationRow | None:
    row = conn.execute(
        "SELECT wa_id, profile_name, last_inbound_at, last_inbound_wamid, last_outbound_at, "
        "last_echo_at, inbound_count, outbound_count, echo_count, updated_at "
        "FROM conversations WHERE wa_id = ?",
        (wa_id,),
    ).fetchone()
    return ConversationRow(**dict(row)) if row else None


# When a send of recado's went out, in Meta's seconds: its first status, else the answer
# that gave it a wamid, else its last change.
_SENT_TS = (
    "COALESCE((SELECT MIN(s.ts) FROM message_statuses s WHERE s.message_id = m.id), "
    " (SELECT CAST(strftime('%s', MIN(a.finished_at)) AS INTEGER) FROM message_attempts a "
    "  WHERE a.message_id = m.id AND a.wamid IS NOT NULL), "
    " CAST(strftime('%s', m.updated_at) AS INTEGER), 0)"
)


def recent_activity(conn: sqlite3.Connection, wa_id: str, limit: int) -> list[Activity]:
    """One client's timeline, newest first: inbound messages, what recado sent them
    (templates, replies, notices that reached Meta) and echoes (outbound by the studio's
    app). An edit or a revoke of a message shown is folded into it (its last text, or
    none); one whose message never arrived is shown as it came. The newest ``limit`` of
    each kind come from their own index and are merged here (one sorted union would read
    every row of the client before the limit)."""
    inbound = conn.execute(
        "SELECT 'inbound' AS direction, i.wamid, i.ts, i.type, "
        " CASE WHEN r.wamid IS NOT NULL THEN NULL "
        "  ELSE COALESCE(e.text_body, i.text_body, i.reply_title) END AS text, "
        " i.received_at, e.wamid IS NOT NULL AS edited, r.wamid IS NOT NULL AS revoked, "
        " NULL AS state, NULL AS message_id "
        " FROM inbound_messages i "
        " LEFT JOIN inbound_messages e ON e.wamid = (SELECT x.wamid FROM inbound_messages x "
        "  WHERE x.original_wamid = i.wamid AND x.type = 'edit' ORDER BY x.ts DESC, "
        "  x.rowid DESC LIMIT 1) "
        " LEFT JOIN inbound_messages r ON r.wamid = (SELECT x.wamid FROM inbound_messages x "
        "  WHERE x.original_wamid = i.wamid AND x.type = 'revoke' LIMIT 1) "
        " WHERE i.wa_id = ? AND NOT (i.type IN ('edit', 'revoke') AND EXISTS ("
        "  SELECT 1 FROM inbound_messages o WHERE o.wamid = i.original_wamid)) "
        " ORDER BY i.ts DESC LIMIT ?",
        (wa_id, limit),
    ).fetchall()
    echoes = conn.execute(
        "SELECT 'outbound_by_app' AS direction, wamid, ts, type, text_body AS text, "
        "received_at, 0 AS edited, 0 AS revoked, NULL AS state, NULL AS message_id "
        "FROM echo_messages WHERE wa_id = ? ORDER BY ts DESC LIMIT ?",
        (wa_id, limit),
    ).fetchall()
    # Newest by creation (its index); the page orders them by when they went out.
    sent = conn.execute(
        f"SELECT 'outbound' AS direction, m.wamid, {_SENT_TS} AS ts, m.kind AS type, "
        "m.text_body AS text, m.created_at AS received_at, 0 AS edited, 0 AS revoked, "
        "m.state, m.id AS message_id FROM messages m "
        "WHERE m.wa_id = ? AND m.wamid IS NOT NULL AND m.dry_run = 0 "
        "ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
        (wa_id, limit),
    ).fetchall()
    rows = sorted([*inbound, *echoes, *sent], key=lambda r: r["ts"], reverse=True)[:limit]
    return [
        Activity(**{**dict(r), "edited": bool(r["edited"]), "revoked": bool(r["revoked"])})
        for r in rows
    ]
