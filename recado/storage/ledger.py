"""The conversation ledger, one row per customer (``rules/window.py``, ``rules/identity.py``):
the one place its rows are written. The window's facts are read as a ``Ledger`` and moved by
the rule, never by SQL of its own.

Stored times are Meta's unix seconds; one stored before inputs were bounded reads as no
message at all (``clock.from_unix``), as the migration that heals such rows does.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from recado.clock import from_unix
from recado.rules.window import Ledger, advance_inbound, merge_ledgers, window_start


def read_ledger(conn: sqlite3.Connection, customer_id: int | None) -> Ledger | None:
    if customer_id is None:
        return None
    row = conn.execute(
        "SELECT last_inbound_at, last_outbound_at, inbound_count, outbound_count "
        "FROM conversations WHERE customer_id = ?",
        (customer_id,),
    ).fetchone()
    if row is None:
        return None
    return Ledger(
        customer_id,
        last_inbound_at=from_unix(row["last_inbound_at"]),
        last_outbound_at=from_unix(row["last_outbound_at"]),
        inbound_count=row["inbound_count"] or 0,
        outbound_count=row["outbound_count"] or 0,
    )


def record_inbound(
    conn: sqlite3.Connection,
    customer_id: int,
    ts: int,
    wamid: str,
    received_at: str,
    *,
    arrived: datetime,
    opens: bool = True,
) -> None:
    """An inbound message stamped ``ts``, whose body the daemon received at ``arrived``: the
    ledger as ``advance_inbound`` leaves it (last inbound only moves forward, from
    ``window_start``: never after the arrival, and only when the message ``opens`` the
    window), the wamid of the newest such message beside it."""
    stamped = from_unix(ts)
    if stamped is None:
        raise ValueError(f"inbound timestamp {ts} is out of range")
    at = window_start(stamped, arrived)
    before = read_ledger(conn, customer_id)
    after = advance_inbound(before or Ledger(customer_id), at, opens)
    newest = opens and (
        before is None or before.last_inbound_at is None or at > before.last_inbound_at
    )
    conn.execute(
        "INSERT INTO conversations(customer_id, last_inbound_at, last_inbound_wamid, "
        "inbound_count, updated_at) VALUES (:customer, :at, :wamid, :count, :now) "
        "ON CONFLICT(customer_id) DO UPDATE SET "
        " last_inbound_at = excluded.last_inbound_at,"
        " last_inbound_wamid = CASE WHEN :newest THEN excluded.last_inbound_wamid "
        "   ELSE last_inbound_wamid END,"
        " inbound_count = excluded.inbound_count,"
        " updated_at = excluded.updated_at",
        {
            "customer": customer_id,
            "at": _unix(after.last_inbound_at),
            "wamid": wamid if opens else None,
            "count": after.inbound_count,
            "now": received_at,
            "newest": int(newest),
        },
    )


def record_echo(conn: sqlite3.Connection, customer_id: int, ts: int, received_at: str) -> None:
    """Outbound by the studio's app: on the ledger, but it never opens the window."""
    conn.execute(
        "INSERT INTO conversations(customer_id, last_echo_at, last_outbound_at, echo_count, "
        "updated_at) VALUES (?, ?, ?, 1, ?) "
        "ON CONFLICT(customer_id) DO UPDATE SET "
        " last_echo_at = MAX(COALESCE(last_echo_at, 0), excluded.last_echo_at),"
        " last_outbound_at = MAX(COALESCE(last_outbound_at, 0), excluded.last_outbound_at),"
        " echo_count = echo_count + 1,"
        " updated_at = excluded.updated_at",
        (customer_id, ts, ts, received_at),
    )


def record_outbound(conn: sqlite3.Connection, customer_id: int, ts: int, at: str) -> None:
    """A message recado sent (accepted by Meta): counted, it never opens the window."""
    conn.execute(
        "INSERT INTO conversations(customer_id, last_outbound_at, outbound_count, updated_at) "
        "VALUES (?, ?, 1, ?) ON CONFLICT(customer_id) DO UPDATE SET "
        " last_outbound_at = MAX(COALESCE(last_outbound_at, 0), excluded.last_outbound_at),"
        " outbound_count = outbound_count + 1, updated_at = excluded.updated_at",
        (customer_id, ts, at),
    )


def merge_ledger(conn: sqlite3.Connection, merged: int, kept: int, at: str) -> None:
    """The ledger of ``merged`` joins ``kept``'s (the same person): ``merge_ledgers`` says
    how; the newest inbound's wamid and the newest echo go with it."""
    theirs = read_ledger(conn, merged)
    if theirs is None:
        return
    ours = read_ledger(conn, kept)
    if ours is None:
        conn.execute(
            "UPDATE conversations SET customer_id = ?, updated_at = ? WHERE customer_id = ?",
            (kept, at, merged),
        )
        return
    both = merge_ledgers(ours, theirs)
    rows = {
        r["customer_id"]: r
        for r in conn.execute(
            "SELECT customer_id, last_inbound_at, last_inbound_wamid, last_echo_at, echo_count "
            "FROM conversations WHERE customer_id IN (?, ?)",
            (kept, merged),
        )
    }
    newest = max(rows.values(), key=lambda r: r["last_inbound_at"] or 0)
    echoes = [r["last_echo_at"] for r in rows.values() if r["last_echo_at"] is not None]
    conn.execute("DELETE FROM conversations WHERE customer_id = ?", (merged,))
    conn.execute(
        "UPDATE conversations SET last_inbound_at = ?, last_inbound_wamid = ?, "
        "last_outbound_at = ?, last_echo_at = ?, inbound_count = ?, outbound_count = ?, "
        "echo_count = ?, updated_at = ? WHERE customer_id = ?",
        (
            _unix(both.last_inbound_at),
            newest["last_inbound_wamid"],
            _unix(both.last_outbound_at),
            max(echoes) if echoes else None,
            both.inbound_count,
            both.outbound_count,
            sum(r["echo_count"] or 0 for r in rows.values()),
            at,
            kept,
        ),
    )


def _unix(at: datetime | None) -> int | None:
    return int(at.timestamp()) if at is not None else None
