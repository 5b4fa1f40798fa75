"""Deliveries: each flow action of an event, its attempts, the retry queue and the DLQ.

Rows are created in the event's own transaction (``expand_flows``), so an accepted event is
never half fanned out. Every attempt is kept; a DLQ retry starts the count again but keeps
the history.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

import msgspec

from recado.clock import iso
from recado.rules.breaker import CLOSED, OPEN, Breaker
from recado.rules.flows import PlannedAction
from recado.rules.system_alerts import breaker_open_texts
from recado.storage.alerts import add_alert, resolve_alerts
from recado.storage.message_queue import NewMessage, queue_message
from recado.storage.waits import rebase_rows


class DueDelivery(msgspec.Struct, frozen=True):
    """A delivery come due, with the event it carries as it was accepted."""

    id: int
    event_id: str
    action: str
    service: str | None  # None for a whatsapp:<template> action
    state: str
    attempts: int
    type: str
    occurred_at: str
    data_json: str


class BreakerRow(msgspec.Struct, frozen=True):
    """A service's breaker as last saved (``opened_at`` as stored text)."""

    service: str
    state: str
    failure_count: int
    opened_at: str | None


def expand_flows(
    conn: sqlite3.Connection, event_id: str, actions: tuple[PlannedAction, ...], now: datetime
) -> int:
    created = 0
    for planned in actions:
        due = now + timedelta(seconds=planned.delay_s)
        cur = conn.execute(
            "INSERT OR IGNORE INTO deliveries(event_id, action, service, state, next_attempt_at, "
            "created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
            (event_id, planned.action, planned.service, iso(due), iso(now), iso(now)),
        )
        created += cur.rowcount
    return created


def due_deliveries(
    conn: sqlite3.Connection,
    now: str,
    blocked: tuple[str, ...],
    in_flight: tuple[int, ...],
    limit: int,
) -> list[DueDelivery]:
    """Due deliveries with their event, leaving out those in flight and the services whose
    breaker holds them back."""
    rows = conn.execute(
        "SELECT d.id, d.event_id, d.action, d.service, d.state, d.attempts, "
        " e.type, e.occurred_at, e.data_json "
        # The queue's own index (the planner would take the DLQ's and sort the queue).
        "FROM deliveries d INDEXED BY deliveries_due JOIN events e ON e.id = d.event_id "
        "WHERE d.state IN ('pending', 'retrying') AND d.next_attempt_at <= ? "
        f"AND {_not_held(blocked, in_flight, 'd.')} "
        "ORDER BY d.next_attempt_at, d.id LIMIT ?",
        (now, *blocked, *in_flight, limit),
    ).fetchall()
    return [DueDelivery(**dict(r)) for r in rows]


def rebase_waits(conn: sqlite3.Connection, now: datetime) -> int:
    """Open deliveries whose wait was planned after ``now`` (the wall clock went back) wait
    from ``now`` as long as they were asked to (``rules/retry_schedule.rebased``). Returns
    how many moved."""
    return rebase_rows(
        conn, "deliveries", "next_attempt_at", "state IN ('pending', 'retrying')", now
    )


def next_delivery_due(
    conn: sqlite3.Connection, blocked: tuple[str, ...], in_flight: tuple[int, ...]
) -> str | None:
    row = conn.execute(
        "SELECT MIN(next_attempt_at) FROM deliveries WHERE state IN ('pending', 'retrying') "
        f"AND {_not_held(blocked, in_flight, '')}",
        (*blocked, *in_flight),
    ).fetchone()
    return str(row[0]) if row[0] is not None else None


def _not_held(blocked: tuple[str, ...], in_flight: tuple[int, ...], p: str) -> str:
    return (
        f"COALESCE({p}service, '') NOT IN ({','.join('?' * len(blocked))}) "
        f"AND {p}id NOT IN ({','.join('?' * len(in_flight))})"
    )


def record_attempt(
    conn: sqlite3.Connection,
    delivery_id: int,
    started_at: datetime,
    now: datetime,
    latency_ms: float | None,
    status_code: int | None,
    outcome: str,
    error: str | None,
    state: str,
    next_attempt_at: datetime | None,
    breaker: tuple[str, Breaker] | None = None,
) -> bool:
    """One attempt and what it leaves: ``state`` is done, retrying or dead. The breaker's
    new state is saved in the same transaction. False if the delivery was no longer open."""
    row = conn.execute(
        "SELECT attempts FROM deliveries WHERE id = ? AND state IN ('pending', 'retrying')",
        (delivery_id,),
    ).fetchone()
    if row is None:
        return False
    n = row["attempts"] + 1
    conn.execute(
        "INSERT INTO delivery_attempts(delivery_id, n, started_at, latency_ms, status_code, "
        "outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (delivery_id, n, iso(started_at), latency_ms, status_code, outcome, error),
    )
    conn.execute(
        "UPDATE deliveries SET attempts = ?, state = ?, updated_at = ?, last_status = ?, "
        " last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at), "
        " done_at = CASE WHEN ? = 'done' THEN ? ELSE done_at END, "
        " dead_at = CASE WHEN ? = 'dead' THEN ? ELSE dead_at END WHERE id = ?",
        (
            n,
            state,
            iso(now),
            status_code,
            None if state == "done" else error,
            iso(next_attempt_at) if next_attempt_at else None,
            state,
            iso(now),
            state,
            iso(now),
            delivery_id,
        ),
    )
    if breaker is not None:
        save_breaker(conn, breaker[0], breaker[1], now)
    return True


def save_breaker(conn: sqlite3.Connection, service: str, b: Breaker, now: datetime) -> None:
    """Saved on every change; turning open raises an alert for the operators."""
    was = conn.execute("SELECT state FROM breakers WHERE service = ?", (service,)).fetchone()
    if b.state == CLOSED and was is not None and was["state"] != CLOSED:
        resolve_alerts(conn, "breaker_open", service, now)
    if b.state == OPEN and (was is None or was["state"] != OPEN):
        pt, en = breaker_open_texts(service, b.failure_count)
        add_alert(conn, now, "warning", "breaker_open", service, pt, en)
    conn.execute(
        "INSERT INTO breakers(service, state, failure_count, opened_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(service) DO UPDATE SET state = excluded.state, "
        "failure_count = excluded.failure_count, opened_at = excluded.opened_at, "
        "updated_at = excluded.updated_at",
        (service, b.state, b.failure_count, iso(b.opened_at) if b.opened_at else None, iso(now)),
    )


def load_breakers(conn: sqlite3.Connection) -> dict[str, BreakerRow]:
    rows = conn.execute("SELECT service, state, failure_count, opened_at FROM breakers").fetchall()
    return {r["service"]: BreakerRow(**dict(r)) for r in rows}


def dlq_retry(conn: sqlite3.Connection, delivery_id: int, now: datetime) -> dict[str, Any]:
    """Back to pending with the attempt count reset; the history stays."""
    return _dlq_action(
        conn,
        delivery_id,
        "queued",
        "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = :now, "
        "updated_at = :now WHERE id = :id",
        now,
    )


def dlq_archive(conn: sqlite3.Connection, delivery_id: int, now: datetime) -> dict[str, Any]:
    return _dlq_action(
        conn,
        delivery_id,
        "archived",
        "UPDATE deliveries SET state = 'archived', updated_at = :now WHERE id = :id",
        now,
    )


def _dlq_action(
    conn: sqlite3.Connection, delivery_id: int, outcome: str, update: str, now: datetime
) -> dict[str, Any]:
    """Only a dead delivery (a DLQ item) can be retried or archived."""
    row = conn.execute(
        "SELECT event_id, state FROM deliveries WHERE id = ?", (delivery_id,)
    ).fetchone()
    if row is None:
        return {"outcome": "not_found"}
    if row["state"] != "dead":
        return {"outcome": "wrong_state", "state": row["state"], "event_id": row["event_id"]}
    conn.execute(update, {"now": iso(now), "id": delivery_id})
    return {"outcome": outcome, "event_id": row["event_id"]}


def event_envelope(d: DueDelivery) -> bytes:
    """The JSON body a destination receives: the event as it was accepted."""
    return json.dumps(
        {
            "id": d.event_id,
            "type": d.type,
            "occurred_at": d.occurred_at,
            "data": json.loads(d.data_json),
        },
        ensure_ascii=False,
    ).encode()


def hand_off_message(
    conn: sqlite3.Connection, delivery_id: int, message: NewMessage, now: datetime
) -> bool:
    """A whatsapp:<template> action: the message is queued for the sender, in the same
    transaction that marks the delivery done (its id is derived from the delivery, so a
    repeat after a crash finds it already there)."""
    queue_message(conn, message, now)
    return record_attempt(conn, delivery_id, now, now, None, None, "handed_off", None, "done", None)
