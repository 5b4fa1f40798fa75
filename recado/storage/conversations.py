"""Queries of the conversation ledger and a client's recent timeline."""

from __future__ import annotations

import sqlite3
from typing import Any


def ledger_row(conn: sqlite3.Connection, wa_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM conversations WHERE wa_id = ?", (wa_id,)).fetchone()
    return dict(row) if row else None


def recent_activity(conn: sqlite3.Connection, wa_id: str, limit: int) -> list[dict[str, Any]]:
    """Inbound messages, echoes (outbound by the studio's app) and history/sync records of
    one client, newest first."""
    rows = conn.execute(
        "SELECT * FROM ("
        " SELECT 'inbound' AS direction, wamid, ts, type, COALESCE(text_body, reply_title) "
        "  AS text, received_at FROM inbound_messages WHERE wa_id = ?"
        " UNION ALL"
        " SELECT 'outbound_by_app', wamid, ts, type, text_body, received_at FROM echo_messages "
        "  WHERE wa_id = ?"
        ") ORDER BY ts DESC LIMIT ?",
        (wa_id, wa_id, limit),
    ).fetchall()
    return [dict(r) for r in rows]
