"""The connection's history, one row per step of its life (the signup's Graph calls, health
checks, Meta's updates, the operator's actions); written by the connection's storage
modules inside their own transactions."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from recado.clock import iso


@dataclass(frozen=True)
class Step:
    step: str
    outcome: str  # ok | failed | skipped | retry | info
    http_status: int | None = None
    code: int | None = None
    subcode: int | None = None
    detail: str = ""
    # Our own words in pt-BR (``detail`` then holds them in English); None for Meta's.
    detail_pt: str | None = None


def add_step(conn: sqlite3.Connection, connection_id: int, now: datetime, step: Step) -> None:
    conn.execute(
        "INSERT INTO whatsapp_connection_steps(connection_id, at, step, outcome, http_status, "
        "code, subcode, detail, detail_pt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            connection_id,
            iso(now),
            step.step,
            step.outcome,
            step.http_status,
            step.code,
            step.subcode,
            step.detail[:500],
            step.detail_pt[:500] if step.detail_pt is not None else None,
        ),
    )
