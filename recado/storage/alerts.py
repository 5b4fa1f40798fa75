"""Operator alerts: rows the dashboard and the alerts page show until resolved."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import iso


def add_alert(
    conn: sqlite3.Connection,
    now: datetime,
    severity: str,
    code: str,
    subject: str,
    text_pt: str,
    text_en: str,
) -> None:
    conn.execute(
        "INSERT INTO alerts(at, severity, code, subject, text_pt, text_en) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (iso(now), severity, code, subject, text_pt, text_en),
    )


def open_alerts(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, at, severity, code, subject, text_pt, text_en FROM alerts "
        "WHERE resolved_at IS NULL ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [dict(r) for r in rows]
