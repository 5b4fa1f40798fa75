"""The sender's writes and reads: each state change of a job is one storage write.

A job is marked ``sending`` (with its attempt row) in a commit *before* the request leaves,
so a crash after that point is visible at start as ``sending`` and becomes ``uncertain``.
What a send (or a decision not to send) does to the job is decided by
``rules/send_outcome.py``; ``apply_job_update`` writes it, whatever it is, in one place.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

import msgspec

from recado.clock import iso
from recado.rules import message_reasons
from recado.rules import states as st
from recado.rules.identity import Identity
from recado.rules.send_outcome import Attempt, JobUpdate
from recado.storage.alerts import add_alert, resolve_alerts
from recado.storage.customers import customer_row, resolve_customer
from recado.storage.ledger import record_outbound
from recado.storage.settings import SENDING_PAUSED, delete_setting, get_setting, set_setting
from recado.storage.waits import rebase_rows
from recado.storage.webhook_statuses import apply_pending_statuses


class DueJob(msgspec.Struct, frozen=True):
    """A queued job come due, with its appointment as it stands now (when it has one).
    Times are stored text, read by the sender one job at a time (a bad one fails that job,
    never the read)."""

    id: str
    kind: str
    appointment_id: str | None
    to_number: str | None
    wa_id: str | None
    attempts: int
    text_body: str | None
    params_json: str | None
    job_starts_at: str | None
    client_name: str | None
    service: str | None
    starts_at: str | None
    location: str | None
    appointment_status: str | None
    cancel_reason: str | None
    # The customer as they are now: where the request goes is decided from these.
    customer_id: int | None = None
    customer_phone: str | None = None
    customer_bsuid: str | None = None


def due_jobs(conn: sqlite3.Connection, now: str, limit: int) -> list[DueJob]:
    rows = conn.execute(
        "SELECT m.id, m.kind, m.appointment_id, m.to_number, m.wa_id, m.attempts, m.text_body, "
        " m.params_json, m.starts_at AS job_starts_at, "
        " a.client_name, a.service, a.starts_at, a.location, a.status AS appointment_status, "
        " a.cancel_reason, c.id AS customer_id, c.phone AS customer_phone, "
        " c.bsuid AS customer_bsuid "
        # The queue's own index: without statistics the planner would take the pages'
        # (state, created_at, id) index and sort every queued job (reminders months ahead
        # included) on each turn.
        "FROM messages m INDEXED BY messages_due "
        "LEFT JOIN appointments a ON a.id = m.appointment_id "
        "LEFT JOIN customers c ON c.id = m.customer_id "
        "WHERE m.state = 'queued' AND m.due_at <= ? ORDER BY m.due_at, m.id LIMIT ?",
        (now, limit),
    ).fetchall()
    return [DueJob(**dict(r)) for r in rows]


def rebase_waits(conn: sqlite3.Connection, now: datetime) -> int:
    """Jobs waiting after an attempt (a retry, an uncertain send's deadline) whose wait was
    planned after ``now`` (the wall clock went back) wait from ``now`` as long as they were
    asked to (``rules/retry_schedule.rebased``). A job never tried keeps its ``due_at``: a
    reminder is due at an instant of the appointment, not after a wait. Returns how many
    moved."""
    return rebase_rows(
        conn,
        "messages",
        "due_at",
        "state IN ('queued', 'uncertain') AND attempts > 0 AND due_at IS NOT NULL",
        now,
    )


def next_due_at(conn: sqlite3.Connection, paced: tuple[str, ...] = ()) -> str | None:
    """The earliest moment the sender has something to do: a queued job coming due, or an
    uncertain job whose wait for a status runs out. Queued jobs to ``paced`` recipients are
    left out: their turn comes from the pacing, not from their due time."""
    marks = ",".join("?" * len(paced))
    row = conn.execute(
        "SELECT MIN(due_at) FROM messages WHERE state = 'uncertain' OR (state = 'queued' "
        f"AND COALESCE(to_number, CAST(customer_id AS TEXT), '') NOT IN ({marks}))",
        paced,
    ).fetchone()
    return str(row[0]) if row[0] is not None else None


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


def apply_job_update(
    conn: sqlite3.Connection, job_id: str, attempt_id: int | None, now: datetime, u: JobUpdate
) -> None:
    """The job (and its attempt, when a request was made) as ``u`` says, with the pause and
    the alert it raises, in one transaction."""
    if attempt_id is not None and u.attempt is not None:
        _finish_attempt(conn, attempt_id, now, u.attempt)
    reason_json = None if u.reason is None else json.dumps(u.reason, ensure_ascii=False)
    if u.state in (st.SENT, st.HELD):
        _sent(conn, job_id, now, u, reason_json)
    elif u.state == st.QUEUED:
        assert u.due_at is not None
        conn.execute(
            "UPDATE messages SET state = 'queued', due_at = ?, reason_code = ?, "
            "reason_json = ?, updated_at = ? WHERE id = ?",
            (iso(u.due_at), u.reason_code, reason_json, iso(now), job_id),
        )
    elif u.state == st.UNCERTAIN:
        assert u.due_at is not None
        conn.execute(
            "UPDATE messages SET state = 'uncertain', due_at = ?, reason_code = ?, "
            "reason_json = ?, updated_at = ? WHERE id = ? AND state = 'sending'",
            (iso(u.due_at), u.reason_code, reason_json, iso(now), job_id),
        )
    else:
        # failed / skipped / canceled / dead: never over a job that moved on meanwhile.
        conn.execute(
            "UPDATE messages SET state = ?, reason_code = ?, reason_json = ?, updated_at = ? "
            "WHERE id = ? AND state IN ('queued', 'sending', 'uncertain')",
            (u.state, u.reason_code, reason_json, iso(now), job_id),
        )
    if u.pause is not None:
        set_setting(conn, SENDING_PAUSED, u.pause, now)
    if u.alert is not None:
        a = u.alert
        add_alert(conn, now, a.severity, a.code, a.subject, a.pt_br, a.en)


def _finish_attempt(conn: sqlite3.Connection, attempt_id: int, now: datetime, a: Attempt) -> None:
    conn.execute(
        "UPDATE message_attempts SET finished_at = ?, outcome = ?, http_status = ?, "
        "error_code = ?, answer_json = ?, wamid = ? WHERE id = ?",
        (
            iso(now),
            a.outcome,
            a.http_status,
            a.error_code,
            None if a.answer is None else json.dumps(a.answer, ensure_ascii=False),
            a.wamid,
            attempt_id,
        ),
    )


def _sent(
    conn: sqlite3.Connection, job_id: str, now: datetime, u: JobUpdate, reason_json: str | None
) -> None:
    # A status webhook carrying the job id may have moved the job already; never back (a
    # held answer after a ``sent`` status leaves it sent: the status is newer news).
    conn.execute(
        "UPDATE messages SET wamid = COALESCE(wamid, ?), wa_id = COALESCE(?, wa_id), "
        "reason_code = CASE WHEN state IN ('sending', 'uncertain') THEN ? ELSE reason_code END,"
        " reason_json = CASE WHEN state IN ('sending', 'uncertain') THEN ? ELSE reason_json END,"
        " state = CASE WHEN state IN ('sending', 'uncertain') THEN ? ELSE state END, "
        "updated_at = ? WHERE id = ?",
        (u.wamid, u.wa_id, u.reason_code, reason_json, u.state, iso(now), job_id),
    )
    if u.dry_run or u.wamid is None:
        return
    apply_pending_statuses(conn, job_id, u.wamid, now)
    row = conn.execute("SELECT customer_id FROM messages WHERE id = ?", (job_id,)).fetchone()
    if row is None or row["customer_id"] is None:
        return
    customer = int(row["customer_id"])
    if u.wa_id or u.user_id:
        # Meta's answer names who the send reached (the sender leaves these out of a send
        # redirected to the test recipient): the same person.
        who = Identity(bsuid=u.user_id, wa_id=u.wa_id)
        customer = resolve_customer(conn, who, now, same_as=[customer]) or customer
    record_outbound(conn, customer, int(now.timestamp()), iso(now))


def customer_phone(conn: sqlite3.Connection, customer_id: int | None) -> str | None:
    """The customer's phone as known now (the sender asks after a 131062)."""
    row = customer_row(conn, customer_id) if customer_id is not None else None
    return row.phone if row is not None else None


def record_internal_error(
    conn: sqlite3.Connection, job_id: str, now: datetime, unclaimed: JobUpdate, claimed: JobUpdate
) -> str | None:
    """Processing the job raised: ``unclaimed`` applies to a job not claimed yet,
    ``claimed`` to one already ``sending`` (its attempt in flight ends unknown). Returns the
    state it was in."""
    row = conn.execute("SELECT state FROM messages WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        return None
    if row["state"] == st.QUEUED:
        apply_job_update(conn, job_id, None, now, unclaimed)
    elif row["state"] == st.SENDING:
        conn.execute(
            "UPDATE message_attempts SET outcome = 'unknown', finished_at = ? "
            "WHERE message_id = ? AND outcome = 'in_flight'",
            (iso(now), job_id),
        )
        apply_job_update(conn, job_id, None, now, claimed)
    return str(row["state"])


def recover_interrupted(conn: sqlite3.Connection, now: datetime, deadline: datetime) -> int:
    """Jobs left ``sending`` by a crash: the request may have left, so never resend them."""
    conn.execute(
        "UPDATE message_attempts SET outcome = 'unknown', finished_at = ? "
        "WHERE outcome = 'in_flight'",
        (iso(now),),
    )
    cur = conn.execute(
        "UPDATE messages SET state = 'uncertain', due_at = ?, reason_code = 'unknown_crash', "
        "reason_json = ?, updated_at = ? WHERE state = 'sending'",
        (iso(deadline), _reason_json("unknown_crash"), iso(now)),
    )
    return cur.rowcount


def expire_uncertain(conn: sqlite3.Connection, now: datetime) -> int:
    """Uncertain jobs no status resolved in time go to the dead letters, for a person."""
    cur = conn.execute(
        "UPDATE messages SET state = 'dead', reason_code = 'outcome_unknown', reason_json = ?, "
        "updated_at = ? WHERE state = 'uncertain' AND due_at <= ?",
        (_reason_json("outcome_unknown"), iso(now), iso(now)),
    )
    return cur.rowcount


def _reason_json(code: str) -> str:
    """A reason without parameters as stored, so the page reads its sentence."""
    return json.dumps(message_reasons.reason(code), ensure_ascii=False)


def last_accepted_send(conn: sqlite3.Connection) -> str | None:
    """When Meta last accepted a real (not dry-run) send; newest attempts first, so the
    search stops at the first one found."""
    row = conn.execute(
        "SELECT finished_at FROM message_attempts WHERE outcome = 'sent' AND dry_run = 0 "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def lift_pause_for_new_token(conn: sqlite3.Connection, fingerprint: str, now: datetime) -> bool:
    """A pause set when Meta refused another token is over: the token ``fingerprint`` names
    is in force now (a restart or a reload with a new one). The auth alert resolves in the
    same write. Whether a pause was lifted."""
    paused = get_setting(conn, SENDING_PAUSED)
    if not paused or paused.get("token") == fingerprint:
        return False
    delete_setting(conn, SENDING_PAUSED)
    resolve_alerts(conn, "whatsapp_auth", "whatsapp", now)
    return True
