"""Recording an event: the event row, the appointment projection and the message jobs, in
one transaction (an outbox: nothing accepted is lost, nothing is half-applied).

``insert_event`` is the one place an event row is written, whoever emits it (the events
API, a button tap), with its flow actions fanned out in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recado.clock import iso, parse_iso
from recado.events.payloads import Appointment, Cancellation, ValidEvent
from recado.rules.appointment_jobs import JobSpec, plan_jobs
from recado.rules.flows import FlowTable, actions_for
from recado.rules.message_identity import recipient
from recado.storage.alerts import add_alert
from recado.storage.deliveries import expand_flows
from recado.storage.message_queue import NewMessage, queue_message


@dataclass(frozen=True)
class JobSettings:
    mode: str
    reminder_hours_before: float
    location_line: str
    flows: FlowTable = field(default_factory=dict)


@dataclass(frozen=True)
class NewEvent:
    id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    body_sha256: str  # what tells a repeat from a conflict (for a tap: its wamid)
    source: str  # api | button
    remote_ip: str = ""  # who sent it (none for what recado derives itself)


def insert_event(conn: sqlite3.Connection, e: NewEvent, now: datetime, flows: FlowTable) -> bool:
    """Write the event and plan the deliveries of its flow actions; False (and nothing
    planned) when an event with its id is there already."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO events(id, type, occurred_at, data_json, body_sha256, "
        "received_at, source, remote_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            e.id,
            e.type,
            iso(e.occurred_at),
            json.dumps(e.data, ensure_ascii=False, sort_keys=True),
            e.body_sha256,
            iso(now),
            e.source,
            e.remote_ip,
        ),
    )
    if cur.rowcount == 0:
        return False
    expand_flows(conn, e.id, actions_for(flows, e.type), now)
    return True


@dataclass(frozen=True)
class Recorded:
    outcome: str  # accepted | duplicate (same id, same body) | conflict (same id, other body)
    messages_planned: int = 0


def record_event(
    conn: sqlite3.Connection,
    event: ValidEvent,
    now: datetime,
    settings: JobSettings,
    remote_ip: str,
    source: str = "api",
) -> Recorded:
    row = conn.execute("SELECT body_sha256 FROM events WHERE id = ?", (event.id,)).fetchone()
    if row is not None:
        return Recorded("duplicate" if row["body_sha256"] == event.body_sha256 else "conflict")
    new = NewEvent(
        event.id, event.type, event.occurred_at, event.data, event.body_sha256, source, remote_ip
    )
    insert_event(conn, new, now, settings.flows)
    planned = 0
    if isinstance(event.appointment, Appointment):
        planned = _upsert_appointment(conn, event, event.appointment, now, settings)
    elif isinstance(event.appointment, Cancellation):
        planned = _cancel_appointment(conn, event, event.appointment, now, settings)
    return Recorded("accepted", planned)


def _upsert_appointment(
    conn: sqlite3.Connection,
    event: ValidEvent,
    a: Appointment,
    now: datetime,
    settings: JobSettings,
) -> int:
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
            recipient(phone=a.phone).wa_id,
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
    return _create_jobs(
        conn, plan.create, a.appointment_id, iso(a.starts_at), a.phone, event.id, now
    )


def _cancel_appointment(
    conn: sqlite3.Connection,
    event: ValidEvent,
    c: Cancellation,
    now: datetime,
    settings: JobSettings,
) -> int:
    row = conn.execute("SELECT * FROM appointments WHERE id = ?", (c.appointment_id,)).fetchone()
    if row is None:
        # Nothing to cancel or notify: the event is kept, the appointment was never seen.
        return 0
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
    return _create_jobs(
        conn, plan.create, c.appointment_id, row["starts_at"], row["phone"], event.id, now
    )


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
    jobs: list[JobSpec],
    appointment_id: str,
    starts_at: str,
    phone: str,
    event_id: str,
    now: datetime,
) -> int:
    created = 0
    for job in jobs:
        message = NewMessage(
            job.id,
            job.kind,
            job.due_at,
            phone=phone,
            event_id=event_id,
            appointment_id=appointment_id,
            starts_at=starts_at,
        )
        created += queue_message(conn, message, now)
    return created


# Appointments that want messages (future, not canceled, the client to be notified) and
# have none planned for their current time: accepted while whatsapp.mode was "disabled".
_UNPLANNED = (
    "FROM appointments a WHERE a.status != 'canceled' AND a.notify_client = 1 "
    "AND a.starts_at > ? AND NOT EXISTS (SELECT 1 FROM messages m "
    "WHERE m.appointment_id = a.id AND m.starts_at = a.starts_at)"
)


def unplanned_appointments(conn: sqlite3.Connection, now: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) {_UNPLANNED}", (now,)).fetchone()[0])


def plan_missing_jobs(conn: sqlite3.Connection, now: datetime, settings: JobSettings) -> int:
    """Plan the notice and reminder of every appointment accepted while sending was
    disabled, as if it had been booked now; returns how many jobs were planned."""
    if settings.mode == "disabled":
        return 0
    rows = conn.execute(
        f"SELECT a.id, a.starts_at, a.phone, a.last_event_id {_UNPLANNED}", (iso(now),)
    ).fetchall()
    planned = 0
    for row in rows:
        starts_at = parse_iso(row["starts_at"])
        plan = plan_jobs(
            "appointment.created",
            row["id"],
            starts_at,
            True,
            now,
            settings.reminder_hours_before,
            settings.mode,
        )
        planned += _create_jobs(
            conn, plan.create, row["id"], row["starts_at"], row["phone"], row["last_event_id"], now
        )
    if rows:
        add_alert(
            conn,
            now,
            "info",
            "jobs_planned_late",
            "",
            f"{len(rows)} agendamento(s) recebido(s) com o envio desativado tiveram suas "
            f"mensagens planejadas agora ({planned} mensagem(ns)).",
            f"{len(rows)} appointment(s) accepted while sending was disabled had their "
            f"messages planned now ({planned} message(s)).",
        )
    return planned
