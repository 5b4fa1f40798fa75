"""Queries of the appointments projection: one appointment with its messages and events."""

from __future__ import annotations

import sqlite3
from typing import Any


def appointment_detail(conn: sqlite3.Connection, appointment_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, client_name, phone, wa_id, service, starts_at, location, status, "
        "notify_client, cancel_reason, confirmed_at, last_event_id, created_at, updated_at "
        "FROM appointments WHERE id = ?",
        (appointment_id,),
    ).fetchone()
    if row is None:
        return None
    messages = conn.execute(
        "SELECT id, kind, state, wamid, to_number, starts_at, due_at, created_at, reason_code "
        "FROM messages WHERE appointment_id = ? ORDER BY created_at, id",
        (appointment_id,),
    ).fetchall()
    events = conn.execute(
        "SELECT id, type, received_at, source FROM events "
        "WHERE json_extract(data_json, '$.appointment_id') = ? ORDER BY received_at, id",
        (appointment_id,),
    ).fetchall()
    return {
        **dict(row),
        "notify_client": bool(row["notify_client"]),
        "messages": [dict(m) for m in messages],
        "events": [dict(e) for e in events],
    }
