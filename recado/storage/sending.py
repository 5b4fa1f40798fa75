"""The sender's writes and reads: each state change of a job is one storage write.

A job is marked ``sending`` (with its attempt row) in a commit *before* the request leaves,
so a crash after that point is visible at start as ``sending`` and becomes ``uncertain``.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import iso
from recado.storage.alerts import add_alert
from recado.storage.webhook_apply import apply_pending_statuses

__all__ = ["add_alert"]


def due_jobs(conn: sqlite3.Connection, now: str, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT m.id, m.kind, m.appointment_id, m.to_number, m.wa_id, m.attempts, m.text_body, "
        " m.params_json, m.starts_at AS job_starts_at, "
        " a.client_name, a.service, a.starts_at, a.location, a.status AS appointment_status, "
        " a.cancel_reason "
        "FROM messages m LEFT JOIN appointments a ON a.id = m.appointment_id "
        "WHERE m.state = 'queued' AND m.due_at <= ? ORDER BY m.due_at, m.id LIMIT ?",
        (now, limit),
    ).fetchall()
    return [dict(r) for r in rows]


def next_due_at(conn: sqlite3.Connection, paced: tuple[str, ...] = ()) -> str | None:
    """The earliest moment the sender has something to do: a queued job coming due, or an
    uncertain job whose wait for a status runs out. Queued jobs to ``paced`` recipients are
    left out: their turn comes from the pacing, not from their due time."""
    marks = ",".join("?" * len(paced))
    row = conn.execute(
        "SELECT MIN(due_at) FROM messages WHERE state = 'uncertain' OR (state = 'queued' "
        f"AND COALESCE(to_number, '') NOT IN ({marks}))",
        paced,
    ).fetchone()
    return row[0]


def mark_sending(
    conn: sqlite3.Connection,
    job_id: str,
    now: datetime,
    to: str,
    dry_run: bool,
    request: dict[str, Any],
) -> int | None:
    """Claim a queued job; returns the attempt id, or None if it changed meanwhile."""
    cur = conn.execute(
        "UPDATE messages SET state = 'sending', attempts = attempts + 1, updated_at = ?, "
        "dry_run = ? WHERE id = ? AND state = 'queued'",
        (iso(now), int(dry_run), job_id),
    )
    if cur.rowcount == 0:
        return None
    n = conn.execute("SELECT attempts FROM messages WHERE id = ?", (job_id,)).fetchone()[0]
    cur = conn.execute(
        "INSERT INTO message_attempts(message_id, n, started_at, to_number, dry_run, "
        "request_json) VALUES (?, ?, ?, ?, ?, ?)",
        (job_id, n, iso(now), to, int(dry_run), json.dumps(request, ensure_ascii=False)),
    )
    return int(cur.lastrowid or 0)


def _finish_attempt(
    conn: sqlite3.Connection,
    attempt_id: int,
    now: datetime,
    outcome: str,
    http_status: int | None = None,
    error_code: int | None = None,
    answer: Any = None,
    wamid: str | None = None,
) -> None:
    conn.execute(
        "UPDATE message_attempts SET finished_at = ?, outcome = ?, http_status = ?, "
        "error_code = ?, answer_json = ?, wamid = ? WHERE id = ?",
        (
            iso(now),
            outcome,
            http_status,
            error_code,
            None if answer is None else json.dumps(answer, ensure_ascii=False),
            wamid,
            attempt_id,
        ),
    )


def record_sent(
    conn: sqlite3.Connection,
    job_id: str,
    attempt_id: int,
    now: datetime,
    wamid: str,
    wa_id: str | None,
    answer: Any,
    dry_run: bool,
) -> None:
    _finish_attempt(
        conn, attempt_id, now, "dry_run" if dry_run else "sent", 200, None, answer, wamid
    )
    # A status webhook carrying the job id may have moved the job already; never back.
    conn.execute(
        "UPDATE messages SET wamid = COALESCE(wamid, ?), wa_id = COALESCE(?, wa_id), "
        "state = CASE WHEN state IN ('sending', 'uncertain') THEN 'sent' ELSE state END, "
        "reason_code = NULL, updated_at = ? WHERE id = ?",
        (wamid, wa_id, iso(now), job_id),
    )
    if not dry_run:
        apply_pending_statuses(conn, job_id, wamid, now)
        conn.execute(
            "INSERT INTO conversations(wa_id, last_outbound_at, outbound_count, updated_at) "
            "VALUES (?, ?, 1, ?) ON CONFLICT(wa_id) DO UPDATE SET "
            " last_outbound_at = MAX(COALESCE(last_outbound_at, 0), excluded.last_outbound_at),"
            " outbound_count = outbound_count + 1, updated_at = excluded.updated_at",
            (wa_id or "", int(now.timestamp()), iso(now)),
        )


def record_retry(
    conn: sqlite3.Connection,
    job_id: str,
    attempt_id: int | None,
    now: datetime,
    due_at: datetime,
    reason_code: str,
    reason: dict[str, str],
    outcome: str,
    http_status: int | None = None,
    error_code: int | None = None,
    answer: Any = None,
) -> None:
    if attempt_id is not None:
        _finish_attempt(conn, attempt_id, now, outcome, http_status, error_code, answer)
    conn.execute(
        "UPDATE messages SET state = 'queued', due_at = ?, reason_code = ?, reason_json = ?, "
        "updated_at = ? WHERE id = ?",
        (iso(due_at), reason_code, json.dumps(reason, ensure_ascii=False), iso(now), job_id),
    )


def record_final(
    conn: sqlite3.Connection,
    job_id: str,
    attempt_id: int | None,
    now: datetime,
    state: str,
    reason_code: str,
    reason: dict[str, Any],
    outcome: str = "rejected",
    http_status: int | None = None,
    error_code: int | None = None,
    answer: Any = None,
) -> None:
    """failed / skipped / dead, with the reason an operator reads."""
    if attempt_id is not None:
        _finish_attempt(conn, attempt_id, now, outcome, http_status, error_code, answer)
    conn.execute(
        "UPDATE messages SET state = ?, reason_code = ?, reason_json = ?, updated_at = ? "
        "WHERE id = ? AND state IN ('queued', 'sending', 'uncertain')",
        (state, reason_code, json.dumps(reason, ensure_ascii=False), iso(now), job_id),
    )


def record_uncertain(
    conn: sqlite3.Connection,
    job_id: str,
    attempt_id: int,
    now: datetime,
    deadline: datetime,
    kind: str,
    detail: str,
) -> None:
    _finish_attempt(conn, attempt_id, now, "unknown", answer={"transport": kind, "detail": detail})
    conn.execute(
        "UPDATE messages SET state = 'uncertain', due_at = ?, reason_code = ?, updated_at = ? "
        "WHERE id = ? AND state = 'sending'",
        (iso(deadline), f"unknown_{kind}", iso(now), job_id),
    )


def recover_interrupted(conn: sqlite3.Connection, now: datetime, deadline: datetime) -> int:
    """Jobs left ``sending`` by a crash: the request may have left, so never resend them."""
    conn.execute(
        "UPDATE message_attempts SET outcome = 'unknown', finished_at = ? "
        "WHERE outcome = 'in_flight'",
        (iso(now),),
    )
    cur = conn.execute(
        "UPDATE messages SET state = 'uncertain', due_at = ?, reason_code = 'unknown_crash', "
        "updated_at = ? WHERE state = 'sending'",
        (iso(deadline), iso(now)),
    )
    return cur.rowcount


def expire_uncertain(conn: sqlite3.Connection, now: datetime) -> int:
    """Uncertain jobs no status resolved in time go to the dead letters, for a person."""
    cur = conn.execute(
        "UPDATE messages SET state = 'dead', reason_code = 'outcome_unknown', updated_at = ? "
        "WHERE state = 'uncertain' AND due_at <= ?",
        (iso(now), iso(now)),
    )
    return cur.rowcount


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


def last_accepted_send(conn: sqlite3.Connection) -> str | None:
    """When Meta last accepted a real (not dry-run) send; newest attempts first, so the
    search stops at the first one found."""
    row = conn.execute(
        "SELECT finished_at FROM message_attempts WHERE outcome = 'sent' AND dry_run = 0 "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None
