"""Settings the daemon keeps across restarts (the kill switch, sending paused): one row per
key, its value as JSON."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import iso

KILL_SWITCH = "kill_switch"
SENDING_PAUSED = "sending_paused"


def set_setting(conn: sqlite3.Connection, key: str, value: Any, now: datetime) -> None:
    conn.execute(
        "INSERT INTO settings(key, value_json, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, "
        "updated_at = excluded.updated_at",
        (key, json.dumps(value), iso(now)),
    )


def get_setting(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value_json FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def delete_setting(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM settings WHERE key = ?", (key,))
