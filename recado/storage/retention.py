"""Retention (CONTRACT §2): what is old enough goes, one small batch per write, oldest first.

Every step is a write function the retention actor calls again until it deletes fewer rows
than it was allowed: each batch is one short transaction of the storage actor, so the writes
queued behind it wait for one batch, never for the whole run. A step finds its rows through
an index on their age (migration 0013), so a batch costs the same on any size of database.

Nothing here touches ``daily_counts``: the triggers counted each row in the transaction that
wrote it, so a day's report answers the same after its rows are gone. Rows something still
points at stay (a body whose applied rows are kept, an event with a delivery still open or
that an appointment was last changed by); rows of live work (queued or sending messages,
deliveries pending or retrying) are never deleted, however old.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import msgspec

from recado.rules.bounds import SQL_INT_MAX


class Deleted(NamedTuple):
    rows: int  # deleted or cleared
    # Where the next batch of the step may start its scan (an ISO instant, "" for the
    # oldest): rows older than it that the step kept are not looked at again in this run.
    after: str = ""


# A step: (conn, cutoff ISO instant, now ISO instant, limit, after) -> what it deleted.
Step = Callable[[sqlite3.Connection, str, str, int, str], Deleted]

# The most free pages one vacuum batch gives back; the retention actor asks for fewer when
# a batch takes longer than its budget (rules/retention_batch.py).
VACUUM_PAGES = 2000


class BatchDone(msgspec.Struct, frozen=True, kw_only=True):
    rows: int
    ms: float  # how long the batch held the writer
    after: str = ""  # Deleted.after


# A batch as the retention actor writes it: (conn, *args) -> what it did.
Batch = Callable[..., BatchDone]


def _ids(conn: sqlite3.Connection, sql: str, *params: object) -> list[object]:
    return [r[0] for r in conn.execute(sql, params)]


def _delete_in(conn: sqlite3.Connection, table: str, column: str, ids: list[object]) -> None:
    marks = ",".join("?" * len(ids))
    conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)


def purge_bodies(
    conn: sqlite3.Connection, cutoff: str, now: str, limit: int, after: str = ""
) -> Deleted:
    """Raw webhook bodies received before ``cutoff`` and done with (processed or failed):
    the body is cleared, the row stays while what was applied from it does. Refused bodies
    (``webhook_rejects``) are nothing but a body: they go whole."""
    ids = _ids(
        conn,
        "SELECT id FROM webhook_inbox INDEXED BY webhook_inbox_unpurged "
        "WHERE received_at < ? AND purged_at IS NULL "
        "AND (processed_at IS NOT NULL OR error IS NOT NULL) ORDER BY received_at LIMIT ?",
        cutoff,
        limit,
    )
    if ids:
        marks = ",".join("?" * len(ids))
        conn.execute(
            f"UPDATE webhook_inbox SET body = x'', purged_at = ? WHERE id IN ({marks})",
            [now, *ids],
        )
    rejects = _ids(
        conn,
        "SELECT id FROM webhook_rejects WHERE received_at < ? ORDER BY received_at LIMIT ?",
        cutoff,
        limit - len(ids),
    )
    if rejects:
        _delete_in(conn, "webhook_rejects", "id", rejects)
    return Deleted(len(ids) + len(rejects))


def delete_statuses(
    conn: sqlite3.Connection, cutoff: str, now: str, limit: int, after: str = ""
) -> Deleted:
    ids = _ids(
        conn,
        "SELECT id FROM message_statuses WHERE received_at < ? ORDER BY received_at LIMIT ?",
        cutoff,
        limit,
    )
    if ids:
        _delete_in(conn, "message_statuses", "id", ids)
    return Deleted(len(ids))


def delete_attempts(
    conn: sqlite3.Connection, cutoff: str, now: str, limit: int, after: str = ""
) -> Deleted:
    """Send attempts (messages) and call attempts (deliveries) started before ``cutoff``."""
    tables = (("message_attempts", "id", "started_at"), ("delivery_attempts", "id", "started_at"))
    return Deleted(_delete_oldest(conn, cutoff, limit, tables))


def delete_messages(
    conn: sqlite3.Connection, cutoff: str, now: str, limit: int, after: str = ""
) -> Deleted:
    """Messages created before ``cutoff`` and settled, with their attempts and statuses;
    then inbound messages and echoes (the conversations' history) received before it."""
    ids = _ids(
        conn,
        "SELECT id FROM messages INDEXED BY messages_created WHERE created_at < ? "
        "AND state NOT IN ('queued', 'sending') ORDER BY created_at, id LIMIT ?",
        cutoff,
        limit,
    )
    if ids:
        _delete_in(conn, "message_attempts", "message_id", ids)
        _delete_in(conn, "message_statuses", "message_id", ids)
        # An incident's record that this client got its contingency reply; the incident
        # itself is kept, and a reply this old belongs to one resolved long ago.
        _delete_in(conn, "contingency_replies", "message_id", ids)
        _delete_in(conn, "messages", "id", ids)
    tables = (
        ("inbound_messages", "wamid", "received_at"),
        ("echo_messages", "wamid", "received_at"),
    )
    return Deleted(len(ids) + _delete_oldest(conn, cutoff, limit - len(ids), tables))


def _delete_oldest(
    conn: sqlite3.Connection, cutoff: str, room: int, tables: tuple[tuple[str, str, str], ...]
) -> int:
    """The rows of each (table, key, time column) older than ``cutoff``, oldest first, up to
    ``room`` rows in all; how many were deleted."""
    found = 0
    for table, key, at in tables:
        keys = _ids(
            conn,
            f"SELECT {key} FROM {table} WHERE {at} < ? ORDER BY {at} LIMIT ?",
            cutoff,
            room - found,
        )
        if keys:
            _delete_in(conn, table, key, keys)
        found += len(keys)
    return found


def delete_deliveries(
    conn: sqlite3.Connection, cutoff: str, now: str, limit: int, after: str = ""
) -> Deleted:
    """Deliveries created before ``cutoff`` and finished (done, dead or archived), with
    their attempts."""
    ids = _ids(
        conn,
        "SELECT id FROM deliveries INDEXED BY deliveries_created WHERE created_at < ? "
        "AND state IN ('done', 'dead', 'archived') ORDER BY created_at LIMIT ?",
        cutoff,
        limit,
    )
    if ids:
        _delete_in(conn, "delivery_attempts", "delivery_id", ids)
        _delete_in(conn, "deliveries", "id", ids)
    return Deleted(len(ids))


def delete_events(
    conn: sqlite3.Connection, cutoff: str, now: str, limit: int, after: str = ""
) -> Deleted:
    """Events received before ``cutoff`` that nothing points at any more; then the webhook
    items and the (already cleared) bodies of that age nothing points at.

    The events an appointment still points at stay, a few in every day of a year (8,000 at
    1 M messages): each batch starts its scan at the last event the one before deleted
    (``after``), so the kept ones are looked at once per run, not once per batch."""
    found = conn.execute(
        "SELECT e.id, e.received_at FROM events e INDEXED BY events_received "
        "WHERE e.received_at < ? AND e.received_at >= ? "
        "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) "
        "AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.last_event_id = e.id) "
        "ORDER BY e.received_at LIMIT ?",
        (cutoff, after, limit),
    ).fetchall()
    ids = [r[0] for r in found]
    # Fewer than asked: no event left to delete before the cutoff in this run.
    next_after = found[-1][1] if len(found) == limit else cutoff
    if ids:
        _delete_in(conn, "events", "id", ids)
    records = _ids(
        conn,
        "SELECT id FROM webhook_records WHERE received_at < ? ORDER BY received_at LIMIT ?",
        cutoff,
        limit - len(ids),
    )
    if records:
        # The customers a kept record named (storage/customers.link_record) go with it.
        _delete_in(conn, "record_customers", "record_id", records)
        _delete_in(conn, "webhook_records", "id", records)
    bodies = _ids(
        conn,
        "SELECT w.id FROM webhook_inbox w INDEXED BY webhook_inbox_received "
        "WHERE w.received_at < ? AND w.purged_at IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM webhook_records r WHERE r.inbox_id = w.id) "
        "AND NOT EXISTS (SELECT 1 FROM message_statuses s WHERE s.inbox_id = w.id) "
        "AND NOT EXISTS (SELECT 1 FROM inbound_messages i WHERE i.inbox_id = w.id) "
        "AND NOT EXISTS (SELECT 1 FROM echo_messages x WHERE x.inbox_id = w.id) "
        "ORDER BY w.received_at LIMIT ?",
        cutoff,
        limit - len(ids) - len(records),
    )
    if bodies:
        _delete_in(conn, "webhook_inbox", "id", bodies)
    return Deleted(len(ids) + len(records) + len(bodies), next_after)


def timed(step: Step) -> Callable[[sqlite3.Connection, str, str, int, str], BatchDone]:
    """``step`` as a write that says how long it held the writer."""

    def run(conn: sqlite3.Connection, cutoff: str, now: str, limit: int, after: str) -> BatchDone:
        started = time.perf_counter()
        done = step(conn, cutoff, now, limit, after)
        return BatchDone(
            rows=done.rows, ms=(time.perf_counter() - started) * 1000, after=done.after
        )

    return run


def vacuum_some(conn: sqlite3.Connection, pages: int = VACUUM_PAGES) -> BatchDone:
    """Give up to ``pages`` free pages back to the file system (``auto_vacuum =
    INCREMENTAL``; a file made before it frees none); rows = the pages given back."""
    started = time.perf_counter()
    before = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    # One page per statement: sqlite3 steps a PRAGMA once, and incremental_vacuum frees
    # one page per step.
    for _ in range(min(pages, before)):
        conn.execute("PRAGMA incremental_vacuum(1)")
    freed = before - int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    return BatchDone(rows=freed, ms=(time.perf_counter() - started) * 1000)


class RetentionRun(msgspec.Struct, frozen=True, kw_only=True):
    started_at: str
    finished_at: str
    rows: dict[str, int]  # by kind (rules/retention.KINDS)
    batches: int
    longest_batch_ms: float
    pages_freed: int
    db_bytes: int


def record_run(conn: sqlite3.Connection, run: RetentionRun) -> None:
    conn.execute(
        "INSERT INTO retention_runs(started_at, finished_at, rows_json, batches, "
        "longest_batch_ms, pages_freed, db_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            run.started_at,
            run.finished_at,
            msgspec.json.encode(run.rows).decode(),
            run.batches,
            run.longest_batch_ms,
            run.pages_freed,
            run.db_bytes,
        ),
    )


def recent_runs(conn: sqlite3.Connection, limit: int = 30) -> list[RetentionRun]:
    """The newest ``limit`` runs, newest first."""
    rows = conn.execute(
        "SELECT started_at, finished_at, rows_json, batches, longest_batch_ms, pages_freed, "
        "db_bytes FROM retention_runs WHERE id < ? ORDER BY id DESC LIMIT ?",
        # A range on the id, from the newest: the walk stops after ``limit`` rows.
        (SQL_INT_MAX, limit),
    ).fetchall()
    return [
        RetentionRun(
            started_at=r["started_at"],
            finished_at=r["finished_at"],
            rows=msgspec.json.decode(r["rows_json"], type=dict[str, int]),
            batches=r["batches"],
            longest_batch_ms=r["longest_batch_ms"],
            pages_freed=r["pages_freed"],
            db_bytes=r["db_bytes"],
        )
        for r in rows
    ]


def file_bytes(path: Path) -> int:
    """The database file and its write-ahead log, as the disk holds them."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
