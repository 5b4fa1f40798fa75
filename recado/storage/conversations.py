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
    """An inbound message or an echo of what the studio's app sent, as the page lists it."""

    direction: str  # inbound | outbound_by_app
    wamid: str
    ts: int
    type: str
    text: str | None
    received_at: str


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


def recent_activity(conn: sqlite3.Connection, wa_id: str, limit: int) -> list[Activity]:
    """Inbound messages and echoes (outbound by the studio's app) of one client, newest
    first: the newest ``limit`` of each, from their (wa_id, ts) indexes, merged here (one
    sorted union would read every row of the client before the limit)."""
    inbound = conn.execute(
        "SELECT 'inbound' AS direction, wamid, ts, type, COALESCE(text_body, reply_title) "
        "AS text, received_at FROM inbound_messages WHERE wa_id = ? ORDER BY ts DESC LIMIT ?",
        (wa_id, limit),
    ).fetchall()
    echoes = conn.execute(
        "SELECT 'outbound_by_app' AS direction, wamid, ts, type, text_body AS text, "
        "received_at FROM echo_messages WHERE wa_id = ? ORDER BY ts DESC LIMIT ?",
        (wa_id, limit),
    ).fetchall()
    rows = sorted([*inbound, *echoes], key=lambda r: r["ts"], reverse=True)[:limit]
    return [Activity(**dict(r)) for r in rows]
