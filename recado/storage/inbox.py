"""Queries of the webhook inbox and its rejects."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime

import msgspec

from recado.clock import iso
from recado.rules.bounds import SQL_INT_MAX
from recado.rules.storage_faults import is_storage_error_text

# The inbox states an operator can filter by, each a condition on the row.
INBOX_STATES = {
    "pending": "processed_at IS NULL AND error IS NULL",
    "failed": "processed_at IS NULL AND error IS NOT NULL",
    "processed": "processed_at IS NOT NULL",
}


class InboxItem(msgspec.Struct, frozen=True, kw_only=True):
    """A stored webhook body as the webhooks page lists it (the body itself stays out)."""

    id: int
    received_at: str
    field: str  # the body's fields, comma-separated
    signature_ok: bool | None  # None: no app secret configured, nothing checked
    processed_at: str | None
    error: str | None
    attempts: int
    bytes: int  # of the body kept (0 once retention cleared it)
    remote_ip: str
    body_purged_at: str | None  # when retention cleared the raw body (its rows stay)


class InboxCounts(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    failed: int
    received_today: int
    rejected_today: int


def insert_inbox(
    conn: sqlite3.Connection,
    received_at: datetime,
    body: bytes,
    signature_ok: bool | None,
    fields: str,
    remote_ip: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO webhook_inbox(received_at, body, body_sha256, signature_ok, fields, "
        "remote_ip) VALUES (?, ?, ?, ?, ?, ?)",
        (
            iso(received_at),
            body,
            hashlib.sha256(body).hexdigest(),
            None if signature_ok is None else int(signature_ok),
            fields,
            remote_ip,
        ),
    )
    return int(cur.lastrowid or 0)


def insert_reject(
    conn: sqlite3.Connection,
    received_at: datetime,
    reason: str,
    detail: str,
    body: bytes,
    remote_ip: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO webhook_rejects(received_at, reason, detail, body, remote_ip) "
        "VALUES (?, ?, ?, ?, ?)",
        (iso(received_at), reason, detail, body, remote_ip),
    )
    return int(cur.lastrowid or 0)


def pending_inbox(conn: sqlite3.Connection, after_id: int, limit: int) -> list[tuple[int, bytes]]:
    """Bodies not processed yet and not failed, oldest first."""
    rows = conn.execute(
        "SELECT id, body FROM webhook_inbox WHERE processed_at IS NULL AND error IS NULL "
        "AND id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    ).fetchall()
    return [(r["id"], r["body"]) for r in rows]


def inbox_bodies(
    conn: sqlite3.Connection, since: str | None, only_id: int | None, after_id: int, limit: int
) -> list[tuple[int, bytes]]:
    """Stored bodies for a replay, whatever their processing state, oldest first."""
    rows = conn.execute(
        "SELECT id, body FROM webhook_inbox WHERE id > ? AND purged_at IS NULL "
        "AND (? IS NULL OR received_at >= ?) AND (? IS NULL OR id = ?) ORDER BY id LIMIT ?",
        (after_id, since, since, only_id, only_id, limit),
    ).fetchall()
    return [(r["id"], r["body"]) for r in rows]


def mark_failed(conn: sqlite3.Connection, inbox_id: int, error: str, at: datetime) -> None:
    conn.execute(
        "UPDATE webhook_inbox SET error = ?, failed_at = ?, attempts = attempts + 1 "
        "WHERE id = ? AND processed_at IS NULL",
        (error[:4000], iso(at), inbox_id),
    )


def requeue_storage_failures(conn: sqlite3.Connection) -> int:
    """Bodies once marked failed because storage failed (not their data) become pending
    again; returns how many."""
    rows = conn.execute(
        "SELECT id, error FROM webhook_inbox WHERE processed_at IS NULL AND error IS NOT NULL"
    ).fetchall()
    ids = [(r["id"],) for r in rows if is_storage_error_text(r["error"])]
    conn.executemany(
        "UPDATE webhook_inbox SET error = NULL, failed_at = NULL WHERE id = ? "
        "AND processed_at IS NULL",
        ids,
    )
    return len(ids)


def recent_inbox(
    conn: sqlite3.Connection, limit: int, before_id: int | None, state: str | None
) -> list[InboxItem]:
    where = "1" if state is None else INBOX_STATES[state]
    # Always a range on the id, from the newest when no page was asked for: the planner
    # walks the rows from there and stops after ``limit``.
    rows = conn.execute(
        f"SELECT id, received_at, fields, signature_ok, processed_at, error, attempts, "
        f"length(body) AS bytes, remote_ip, purged_at FROM webhook_inbox WHERE {where} "
        f"AND id < ? ORDER BY id DESC LIMIT ?",
        (SQL_INT_MAX if before_id is None else before_id, limit),
    ).fetchall()
    return [
        InboxItem(
            id=r["id"],
            received_at=r["received_at"],
            field=r["fields"],
            signature_ok=None if r["signature_ok"] is None else bool(r["signature_ok"]),
            processed_at=r["processed_at"],
            error=r["error"],
            attempts=r["attempts"],
            bytes=r["bytes"],
            remote_ip=r["remote_ip"],
            body_purged_at=r["purged_at"],
        )
        for r in rows
    ]


def inbox_counts(conn: sqlite3.Connection, today_start: str) -> InboxCounts:
    """Bodies waiting or failed (the short list a partial index holds) and today's bodies
    and rejects (``daily_counts``, from the quarter hour ``today_start`` begins)."""
    pending = conn.execute(
        "SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL AND error IS NULL"
    ).fetchone()[0]
    failed = conn.execute(
        "SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL AND error IS NOT NULL"
    ).fetchone()[0]
    today = dict(
        conn.execute(
            "SELECT metric, SUM(n) FROM daily_counts WHERE bucket >= ? "
            "AND metric IN ('inbox', 'reject') GROUP BY metric",
            (today_start[:16],),
        ).fetchall()
    )
    return InboxCounts(
        pending=int(pending),
        failed=int(failed),
        received_today=int(today.get("inbox") or 0),
        rejected_today=int(today.get("reject") or 0),
    )
