"""Recording an event: the event row, the appointment projection and the message jobs, in
one transaction (an outbox: nothing accepted is lost, nothing is half-applied)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recado.clock import iso, parse_iso
from recado.events.payloads import Appointment, Cancellation, ValidEvent
from recado.rules.appointment_jobs import plan_jobs
from recado.rules.flows import FlowTable, actions_for
from recado.rules.phone import wa_id_of
from recado.storage.deliveries import expand_flows


@dataclass(frozen=True)
class JobSettings:
    mode: str
    reminder_hours_before: float
    location_line: str
    flows: FlowTable = field(default_factory=dict)


def record_event(
    conn: sqlite3.Connection,
    event: ValidEvent,
    now: datetime,
    settings: JobSettings,
    remote_ip: str,
    source: str = "api",
) -> str:
    """Returns ``accepted``, ``duplicate`` (same id, same body) or ``conflict``."""
    row = conn.execute("SELECT body_sha256 FROM events WHERE id = ?", (event.id,)).fetchone()
    if row is not None:
        return "duplicate" if row["body_sha256"] == event.body_sha256 else "conflict"
    conn.execute(
        "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at, source, "
        "remote_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event.id,
            event.type,
            iso(event.occurred_at),
            json.dumps(event.data, ensure_ascii=False, sort_keys=True),
            event.body_sha256,
            iso(now),
            source,
            remote_ip,
        ),
    )
    if isinstance(event.appointment, Appointment):
        _upsert_appointment(conn, event, event.appointment, now, settings)
    elif isinstance(event.appointment, Cancellation):
        _cancel_appointment(conn, event, event.appointment, now, settings)
    expand_flows(conn, event.id, actions_for(settings.flows, event.type), now)
    return "accepted"


def _upsert_appointment(
    conn: sqlite3.Connection,
    event: ValidEvent,
    a: Appointment,
    now: datetime,
    settings: JobSettings,
) -> None:
    location = a.location if a.location is not None else settings.location_line
    conn.execute(
        "INSERT INTO appointments(id, client_name, phone, wa_id, service, starts_at, location, "
        "status, notify_client, last_event_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET client_name = excluded.client_name, "
        " phone = excluded.phone, wa_id = excluded.wa_id, service = excluded.service, "
        " starts_at = excluded.starts_at, location = excluded.location, status = 'scheduled', "
        " notify_client = excluded.notify_client, cancel_reason = NULL, "
        " last_event_id = excluded.last_event_id, updated_at = excluded.updated_at",
        (
            a.appointment_id,
            a.client_name,
            a.phone,
            wa_id_of(a.phone),
            a.service,
            iso(a.starts_at),
            location,
            int(a.notify_client),
            event.id,
            iso(now),
            iso(now),
        ),
    )
    plan = plan_jobs(
        event.type,
        a.appointment_id,
        a.starts_at,
        a.notify_client,
        now,
        settings.reminder_hours_before,
        settings.mode,
    )
    if plan.cancel_other_times:
        _cancel_jobs(conn, a.appointment_id, now, keep_starts_at=iso(a.starts_at))
    _create_jobs(conn, plan.create, a.appointment_id, iso(a.starts_at), a.phone, event.id, now)


def _cancel_appointment(
    conn: sqlite3.Connection,
    event: ValidEvent,
    c: Cancellation,
    now: datetime,
    settings: JobSettings,
) -> None:
    row = conn.execute("SELECT * FROM appointments WHERE id = ?", (c.appointment_id,)).fetchone()
    if row is None:
        # Nothing to cancel or notify: the event is kept, the appointment was never seen.
        return
    conn.execute(
        "UPDATE appointments SET status = 'canceled', cancel_reason = ?, last_event_id = ?, "
        "updated_at = ? WHERE id = ?",
        (c.reason, event.id, iso(now), c.appointment_id),
    )
    starts_at = parse_iso(row["starts_at"])
    plan = plan_jobs(
        event.type,
        c.appointment_id,
        starts_at,
        c.notify_client,
        now,
        settings.reminder_hours_before,
        settings.mode,
    )
    if plan.cancel_all:
        _cancel_jobs(conn, c.appointment_id, now, keep_starts_at=None)
    _create_jobs(conn, plan.create, c.appointment_id, row["starts_at"], row["phone"], event.id, now)


def _cancel_jobs(
    conn: sqlite3.Connection, appointment_id: str, now: datetime, keep_starts_at: str | None
) -> None:
    conn.execute(
        "UPDATE messages SET state = 'canceled', reason_code = 'appointment_changed', "
        "updated_at = ? WHERE appointment_id = ? AND state = 'queued' "
        "AND (? IS NULL OR starts_at != ?)",
        (iso(now), appointment_id, keep_starts_at, keep_starts_at),
    )


def _create_jobs(
    conn: sqlite3.Connection,
    jobs: list[Any],
    appointment_id: str,
    starts_at: str,
    phone: str,
    event_id: str,
    now: datetime,
) -> None:
    for job in jobs:
        conn.execute(
            "INSERT OR IGNORE INTO messages(id, kind, appointment_id, starts_at, wa_id, "
            "to_number, state, created_at, updated_at, due_at, event_id) "
            "VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
            (
                job.id,
                job.kind,
                appointment_id,
                starts_at,
                wa_id_of(phone),
                phone,
                iso(now),
                iso(now),
                iso(job.due_at),
                event_id,
            ),
        )
