"""The conversation ledger's window facts (the 24 h window, ``rules/window.py``): read as a
``Ledger`` and moved by the rule, never by SQL of its own.

Stored times are Meta's unix seconds; one stored before inputs were bounded reads as no
message at all (``clock.from_unix``), as the migration that heals such rows does.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from recado.clock import from_unix
from recado.rules.window import Ledger, advance_inbound, window_start


def read_ledger(conn: sqlite3.Connection, wa_id: str) -> Ledger | None:
    row = conn.execute(
        "SELECT last_inbound_at, last_outbound_at, inbound_count, outbound_count "
        "FROM conversations WHERE wa_id = ?",
        (wa_id,),
    ).fetchone()
    if row is None:
        return None
    return Ledger(
        wa_id,
        last_inbound_at=from_unix(row["last_inbound_at"]),
        last_outbound_at=from_unix(row["last_outbound_at"]),
        inbound_count=row["inbound_count"] or 0,
        outbound_count=row["outbound_count"] or 0,
    )


def record_inbound(
    conn: sqlite3.Connection,
    wa_id: str,
    profile_name: str | None,
    ts: int,
    wamid: str,
    received_at: str,
    *,
    arrived: datetime,
) -> None:
    """A message from the client stamped ``ts``, whose body the daemon received at
    ``arrived``: the ledger as ``advance_inbound`` leaves it (last inbound only moves
    forward, from ``window_start``: never after the arrival), the wamid of the newest
    message beside it."""
    stamped = from_unix(ts)
    if stamped is None:
        raise ValueError(f"inbound timestamp {ts} is out of range")
    at = window_start(stamped, arrived)
    before = read_ledger(conn, wa_id)
    after = advance_inbound(before or Ledger(wa_id), at)
    newest = before is None or before.last_inbound_at is None or at > before.last_inbound_at
    assert after.last_inbound_at is not None
    conn.execute(
        "INSERT INTO conversations(wa_id, profile_name, last_inbound_at, last_inbound_wamid, "
        "inbound_count, updated_at) VALUES (:wa_id, :profile, :at, :wamid, :count, :now) "
        "ON CONFLICT(wa_id) DO UPDATE SET "
        " profile_name = COALESCE(excluded.profile_name, profile_name),"
        " last_inbound_at = excluded.last_inbound_at,"
        " last_inbound_wamid = CASE WHEN :newest THEN excluded.last_inbound_wamid "
        "   ELSE last_inbound_wamid END,"
        " inbound_count = excluded.inbound_count,"
        " updated_at = excluded.updated_at",
        {
            "wa_id": wa_id,
            "profile": profile_name,
            "at": int(after.last_inbound_at.timestamp()),
            "wamid": wamid,
            "count": after.inbound_count,
            "now": received_at,
            "newest": int(newest),
        },
    )
