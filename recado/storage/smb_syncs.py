"""Coexistence's two one-time syncs with the WhatsApp Business app (``smb_app_data``): each
one's attempts, Meta's answer, its deadline (24 h after onboarding) and the late alert."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import iso
from recado.storage.alerts import add_alert
from recado.storage.connection_steps import Step, add_step

SYNC_TYPES = ("smb_app_state_sync", "history")


def add_syncs(
    conn: sqlite3.Connection, connection_id: int, now: datetime, deadline: datetime
) -> None:
    """Both syncs wait to be requested, from now, until ``deadline``."""
    conn.executemany(
        "INSERT OR IGNORE INTO whatsapp_smb_syncs(connection_id, sync_type, status, "
        "next_at, deadline_at) VALUES (?, ?, 'pending', ?, ?)",
        [(connection_id, sync_type, iso(now), iso(deadline)) for sync_type in SYNC_TYPES],
    )


def smb_syncs(conn: sqlite3.Connection, connection_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT * FROM whatsapp_smb_syncs WHERE connection_id = ? ORDER BY sync_type DESC",
        (connection_id,),
    ).fetchall()
    return [dict(r) for r in rows]


def update_smb_sync(
    conn: sqlite3.Connection,
    connection_id: int,
    sync_type: str,
    now: datetime,
    status: str,
    next_at: datetime | None,
    request_id: str | None,
    code: int | None,
    detail: str,
    step: Step,
) -> None:
    conn.execute(
        "UPDATE whatsapp_smb_syncs SET status = ?, attempts = attempts + 1, next_at = ?, "
        "requested_at = ?, request_id = COALESCE(?, request_id), last_code = ?, "
        "last_detail = ? WHERE connection_id = ? AND sync_type = ?",
        (
            status,
            iso(next_at) if next_at else None,
            iso(now),
            request_id,
            code,
            detail[:500],
            connection_id,
            sync_type,
        ),
    )
    add_step(conn, connection_id, now, step)


def alert_smb_late(
    conn: sqlite3.Connection,
    connection_id: int,
    now: datetime,
    alert: tuple[str, str, str, str],
) -> None:
    conn.execute(
        "UPDATE whatsapp_smb_syncs SET alerted_at = ? WHERE connection_id = ? "
        "AND status != 'done' AND alerted_at IS NULL",
        (iso(now), connection_id),
    )
    severity, code, pt, en = alert
    add_alert(conn, now, severity, code, f"whatsapp_connection:{connection_id}", pt, en)
