"""Waits planned before the wall clock went back (``rules/retry_schedule.rebased``): one
rule for every table whose rows wait for a due time."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from recado.clock import iso, parse_iso
from recado.rules.retry_schedule import rebased


def rebase_rows(
    conn: sqlite3.Connection, table: str, due_column: str, waiting: str, now: datetime
) -> int:
    """Rows of ``table`` matching ``waiting`` (an SQL condition of the caller's own text)
    whose wait was planned after ``now`` wait from ``now`` as long as they were asked to.
    Returns how many moved."""
    rows = conn.execute(
        f"SELECT id, {due_column} AS due, updated_at FROM {table} "
        f"WHERE {waiting} AND updated_at > ?",
        (iso(now),),
    ).fetchall()
    moved = 0
    for row in rows:
        due = rebased(parse_iso(row["due"]), parse_iso(row["updated_at"]), now)
        if due is not None:
            conn.execute(
                f"UPDATE {table} SET {due_column} = ?, updated_at = ? WHERE id = ?",
                (iso(due), iso(now), row["id"]),
            )
            moved += 1
    return moved
