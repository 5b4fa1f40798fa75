"""Queries of the append-only audit log."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

import msgspec

from recado.clock import iso
from recado.rules.bounds import SQL_INT_MAX


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the append-only audit log, its detail decoded."""

    id: int
    at: str
    action: str
    target: str
    source_ip: str
    actor: str
    detail: dict[str, Any]


def record_audit(
    conn: sqlite3.Connection,
    at: datetime,
    action: str,
    target: str,
    source_ip: str,
    actor: str,
    detail: dict[str, Any],
) -> int:
    cur = conn.execute(
        "INSERT INTO audit_log(at, action, target, source_ip, actor, detail_json) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (iso(at), action, target, source_ip, actor, json.dumps(detail, sort_keys=True)),
    )
    return int(cur.lastrowid or 0)


def list_audit(
    conn: sqlite3.Connection, limit: int = 100, before_id: int | None = None
) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT id, at, action, target, source_ip, actor, detail_json FROM audit_log "
        "WHERE id < ? ORDER BY id DESC LIMIT ?",
        (SQL_INT_MAX if before_id is None else before_id, limit),
    ).fetchall()
    return [
        AuditEntry(
            id=r["id"],
            at=r["at"],
            action=r["action"],
            target=r["target"],
            source_ip=r["source_ip"],
            actor=r["actor"],
            detail=json.loads(r["detail_json"]),
        )
        for r in rows
    ]
