"""Sync jobs: each job's cursor and last handled fire, the record of every run, and the
items set aside (refused for good by the target, or whose processing raised) so one poison
item never blocks its job."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

import msgspec

from recado.clock import iso, parse_iso
from recado.rules.system_alerts import SYNC_FAILED, sync_failed_texts
from recado.storage.alerts import add_alert_once, resolve_alerts
from recado.storage.audit import record_audit
from recado.storage.live_counts import OPEN_SYNC_FAILURES, live_count

INTERRUPTED = "interrupted: the daemon stopped during the run"


class SyncRun(msgspec.Struct, frozen=True, kw_only=True):
    """One run of a job as recorded, with how long it took (None while it runs)."""

    id: int
    trigger: str  # schedule | catch_up | manual
    started_at: str
    finished_at: str | None
    status: str  # running | done | failed
    items_read: int
    items_written: int
    items_set_aside: int
    error: str | None
    cursor_before: str
    cursor_after: str | None
    duration_seconds: float | None


class SyncSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A job at a glance: its last run, how many failed in 24 h, where its cursor is."""

    last_run: str | None
    last_status: str | None
    recent_failures: int
    duration_seconds: float | None
    last_error: str | None
    cursor: str
    items_set_aside: int


class RunCounts(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    success: int


class SyncFailure(msgspec.Struct, frozen=True, kw_only=True):
    """An item a run set aside, in both languages, until an operator's retry delivers it."""

    id: int
    job: str
    run_id: int | None
    item_key: str
    item_json: str
    reason_code: str  # refused | internal_error | unavailable
    reason_pt: str
    reason_en: str
    status_code: int | None
    attempts: int
    at: str
    resolved_at: str | None


def job_state(conn: sqlite3.Connection, job: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT cursor, last_fire_at FROM sync_state WHERE job = ?", (job,))
    found = row.fetchone()
    return dict(found) if found else None


def init_job(conn: sqlite3.Connection, job: str, now: datetime) -> None:
    """A job seen for the first time has missed nothing: it waits for its next fire."""
    conn.execute(
        "INSERT OR IGNORE INTO sync_state(job, cursor, last_fire_at) VALUES (?, '', ?)",
        (job, iso(now)),
    )


def fail_interrupted(conn: sqlite3.Connection, now: datetime) -> int:
    cur = conn.execute(
        "UPDATE sync_runs SET status = 'failed', finished_at = ?, error = ? "
        "WHERE status = 'running'",
        (iso(now), INTERRUPTED),
    )
    return cur.rowcount


def start_run(
    conn: sqlite3.Connection,
    job: str,
    trigger: str,
    now: datetime,
    cursor: str,
    requested_from: str | None = None,
) -> int:
    """The run's row; a run an operator asked for (from ``requested_from``, their address)
    is audited in the same transaction, so the audit says a run started only if it did."""
    cur = conn.execute(
        "INSERT INTO sync_runs(job, trigger, started_at, status, cursor_before) "
        "VALUES (?, ?, ?, 'running', ?)",
        (job, trigger, iso(now), cursor),
    )
    if requested_from is not None:
        record_audit(conn, now, "sync.run", job, requested_from, "operator", {})
    return int(cur.lastrowid or 0)


def finish_run(
    conn: sqlite3.Connection,
    run_id: int,
    job: str,
    now: datetime,
    status: str,
    items_read: int,
    items_written: int,
    error: str | None,
    cursor_after: str,
    fire_at: datetime | None,
    items_set_aside: int = 0,
) -> None:
    """The cursor moves only when the run is done (items set aside do not hold it back); a
    handled fire is recorded either way (a failed scheduled run is tried again at the next
    fire, not at once)."""
    conn.execute(
        "UPDATE sync_runs SET status = ?, finished_at = ?, items_read = ?, items_written = ?, "
        "items_set_aside = ?, error = ?, cursor_after = ? WHERE id = ?",
        (
            status,
            iso(now),
            items_read,
            items_written,
            items_set_aside,
            error,
            cursor_after,
            run_id,
        ),
    )
    if status == "done":
        conn.execute("UPDATE sync_state SET cursor = ? WHERE job = ?", (cursor_after, job))
        resolve_alerts(conn, SYNC_FAILED, job, now)
    elif status == "failed":
        # One open alert per job: a second failure in a row is the same fault.
        pt, en = sync_failed_texts(job, error or "")
        add_alert_once(conn, now, "warning", SYNC_FAILED, job, pt, en)
    if fire_at is not None:
        conn.execute("UPDATE sync_state SET last_fire_at = ? WHERE job = ?", (iso(fire_at), job))


def runs(conn: sqlite3.Connection, job: str, limit: int = 20) -> list[SyncRun]:
    rows = conn.execute(
        "SELECT id, trigger, started_at, finished_at, status, items_read, items_written, "
        " items_set_aside, error, cursor_before, cursor_after FROM sync_runs WHERE job = ? "
        "ORDER BY id DESC LIMIT ?",
        (job, limit),
    ).fetchall()
    return [SyncRun(**dict(r), duration_seconds=_duration(r)) for r in rows]


def summary(conn: sqlite3.Connection, jobs: list[str], now: datetime) -> dict[str, SyncSummary]:
    """Per job: the last run and how many failed in the last 24 hours."""
    since = iso(now - timedelta(hours=24))
    out: dict[str, SyncSummary] = {}
    for job in jobs:
        last = conn.execute(
            "SELECT * FROM sync_runs WHERE job = ? ORDER BY id DESC LIMIT 1", (job,)
        ).fetchone()
        failures = conn.execute(
            "SELECT COUNT(*) FROM sync_runs WHERE job = ? AND status = 'failed' "
            "AND started_at >= ?",
            (job, since),
        ).fetchone()[0]
        state = job_state(conn, job) or {"cursor": "", "last_fire_at": None}
        open_failures = live_count(conn, OPEN_SYNC_FAILURES, job)
        out[job] = SyncSummary(
            last_run=last["started_at"] if last else None,
            last_status=last["status"] if last else None,
            recent_failures=failures,
            duration_seconds=_duration(last) if last else None,
            last_error=last["error"] if last else None,
            cursor=state["cursor"],
            items_set_aside=open_failures,
        )
    return out


def _duration(row: sqlite3.Row) -> float | None:
    if row["finished_at"] is None:
        return None
    seconds = (parse_iso(row["finished_at"]) - parse_iso(row["started_at"])).total_seconds()
    return round(seconds, 3)


def set_aside(
    conn: sqlite3.Connection,
    job: str,
    run_id: int,
    item_key: str,
    item_json: str,
    reason_code: str,
    reason_pt: str,
    reason_en: str,
    status_code: int | None,
    now: datetime,
) -> int:
    """Keep an item the run could not write; the same item failing again updates its row
    (and reopens it if an operator had resolved it). Returns the row's id."""
    conn.execute(
        "INSERT INTO sync_failures(job, run_id, item_key, item_json, reason_code, reason_pt, "
        "reason_en, status_code, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(job, item_key) DO UPDATE SET run_id = excluded.run_id, "
        "item_json = excluded.item_json, reason_code = excluded.reason_code, "
        "reason_pt = excluded.reason_pt, reason_en = excluded.reason_en, "
        "status_code = excluded.status_code, at = excluded.at, attempts = attempts + 1, "
        "resolved_at = NULL",
        (
            job,
            run_id,
            item_key,
            item_json,
            reason_code,
            reason_pt,
            reason_en,
            status_code,
            iso(now),
        ),
    )
    row = conn.execute(
        "SELECT id FROM sync_failures WHERE job = ? AND item_key = ?", (job, item_key)
    ).fetchone()
    return int(row["id"])


_FAILURE_COLUMNS = (
    "id, job, run_id, item_key, item_json, reason_code, reason_pt, reason_en, status_code, "
    "attempts, at, resolved_at"
)


def open_failures(conn: sqlite3.Connection, job: str, limit: int = 100) -> list[SyncFailure]:
    """Items set aside and not resolved yet, newest first."""
    rows = conn.execute(
        f"SELECT {_FAILURE_COLUMNS} FROM sync_failures WHERE job = ? AND resolved_at IS NULL "
        "ORDER BY at DESC, id DESC LIMIT ?",
        (job, limit),
    ).fetchall()
    return [SyncFailure(**dict(r)) for r in rows]


def failure(conn: sqlite3.Connection, failure_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sync_failures WHERE id = ?", (failure_id,)).fetchone()
    return dict(row) if row else None


def record_item_retry(
    conn: sqlite3.Connection,
    failure_id: int,
    now: datetime,
    outcome: str,
    reason_code: str | None,
    reason_pt: str,
    reason_en: str,
    status_code: int | None,
    ip: str,
) -> bool:
    """An operator posted a set-aside item again: ``resolved`` closes it; any other outcome
    updates its reason. Audited in the same transaction. False if it was no longer open."""
    row = conn.execute(
        "SELECT job, item_key FROM sync_failures WHERE id = ? AND resolved_at IS NULL",
        (failure_id,),
    ).fetchone()
    if row is None:
        return False
    if outcome == "resolved":
        conn.execute(
            "UPDATE sync_failures SET resolved_at = ?, status_code = ? WHERE id = ?",
            (iso(now), status_code, failure_id),
        )
    else:
        conn.execute(
            "UPDATE sync_failures SET reason_code = ?, reason_pt = ?, reason_en = ?, "
            "status_code = ?, at = ?, attempts = attempts + 1 WHERE id = ?",
            (reason_code, reason_pt, reason_en, status_code, iso(now), failure_id),
        )
    record_audit(
        conn,
        now,
        "sync.retry_item",
        f"{row['job']}/{failure_id}",
        ip,
        "operator",
        {"item_key": row["item_key"], "outcome": outcome, "status": status_code},
    )
    return True
