"""What the operator pages read about deliveries: the dead-letter list, one delivery with
its attempts, and one event with where each of its flow actions stands."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import msgspec

from recado.storage.live_counts import DEAD_DELIVERIES, live_count


class DeadDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery in the DLQ (``dead``) or set aside there by an operator (``archived``)."""

    id: int
    event_id: str
    action: str
    service: str | None
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: str
    updated_at: str
    dead_at: str | None


class DeliveryAttempt(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    started_at: str
    latency_ms: float | None
    status_code: int | None
    outcome: str  # done | transient | permanent | handed_off | internal_error
    error: str | None


class DeliveryDetail(msgspec.Struct, frozen=True, kw_only=True):
    """Every column of a delivery, its event's type and every attempt it made."""

    id: int
    event_id: str
    action: str
    service: str | None
    state: str  # pending | retrying | done | dead | archived
    attempts: int
    next_attempt_at: str
    last_error: str | None
    last_status: int | None
    created_at: str
    updated_at: str
    done_at: str | None
    dead_at: str | None
    event_type: str
    history: list[DeliveryAttempt]


class EventDelivery(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    action: str
    service: str | None
    state: str
    attempts: int
    next_attempt_at: str
    last_status: int | None
    last_error: str | None
    done_at: str | None


class EventWithDeliveries(msgspec.Struct, frozen=True, kw_only=True):
    """An event as it was accepted, and where each of its flow actions stands."""

    id: str
    type: str
    occurred_at: str
    received_at: str
    source: str  # api | button
    data: Any
    deliveries: list[EventDelivery]


def dlq_page(
    conn: sqlite3.Connection, state: str, limit: int, offset: int
) -> tuple[int, list[DeadDelivery]]:
    if state == "dead":
        total = live_count(conn, DEAD_DELIVERIES)
    else:
        # Archived letters: a person put each there; their count grows only with that.
        total = conn.execute(
            "SELECT COUNT(*) FROM deliveries WHERE state = ?", (state,)
        ).fetchone()[0]
    rows = conn.execute(
        "SELECT id, event_id, action, service, state, attempts, last_status, last_error, "
        " created_at, updated_at, dead_at FROM deliveries WHERE state = ? "
        "ORDER BY dead_at DESC, id DESC LIMIT ? OFFSET ?",
        (state, limit, offset),
    ).fetchall()
    return int(total), [DeadDelivery(**dict(r)) for r in rows]


def delivery_detail(conn: sqlite3.Connection, delivery_id: int) -> DeliveryDetail | None:
    row = conn.execute(
        "SELECT d.id, d.event_id, d.action, d.service, d.state, d.attempts, d.next_attempt_at, "
        "d.last_error, d.last_status, d.created_at, d.updated_at, d.done_at, d.dead_at, "
        "e.type AS event_type FROM deliveries d JOIN events e ON e.id = d.event_id "
        "WHERE d.id = ?",
        (delivery_id,),
    ).fetchone()
    if row is None:
        return None
    attempts = conn.execute(
        "SELECT n, started_at, latency_ms, status_code, outcome, error FROM delivery_attempts "
        "WHERE delivery_id = ? ORDER BY id",
        (delivery_id,),
    ).fetchall()
    return DeliveryDetail(**dict(row), history=[DeliveryAttempt(**dict(a)) for a in attempts])


def event_with_deliveries(conn: sqlite3.Connection, event_id: str) -> EventWithDeliveries | None:
    event = conn.execute(
        "SELECT id, type, occurred_at, received_at, source, data_json FROM events WHERE id = ?",
        (event_id,),
    ).fetchone()
    if event is None:
        return None
    rows = conn.execute(
        "SELECT id, action, service, state, attempts, next_attempt_at, last_status, last_error, "
        "done_at FROM deliveries WHERE event_id = ? ORDER BY id",
        (event_id,),
    ).fetchall()
    return EventWithDeliveries(
        id=event["id"],
        type=event["type"],
        occurred_at=event["occurred_at"],
        received_at=event["received_at"],
        source=event["source"],
        data=json.loads(event["data_json"]),
        deliveries=[EventDelivery(**dict(r)) for r in rows],
    )
