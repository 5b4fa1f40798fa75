"""Counts of live items the pages show on every view, kept by triggers in the transaction of
each row they count (migration 0017): the dead letters and each sync job's open set-aside
items. A read is one row, however many nobody has handled yet."""

from __future__ import annotations

import sqlite3

DEAD_DELIVERIES = "dead_deliveries"
OPEN_SYNC_FAILURES = "open_sync_failures"


def live_count(conn: sqlite3.Connection, name: str, key: str = "") -> int:
    row = conn.execute(
        "SELECT n FROM live_counts WHERE name = ? AND key = ?", (name, key)
    ).fetchone()
    return int(row[0]) if row else 0
