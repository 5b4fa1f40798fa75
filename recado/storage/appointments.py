"""Queries of the appointments projection: one appointment with its messages and events."""

from __future__ import annotations

import sqlite3

import msgspec


class AppointmentMessage(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    state: str
    wamid: str | None
    to_number: str | None
    starts_at: str | None
    due_at: str | None
    created_at: str
    reason_code: str | None
    dry_run: bool = False  # went through a dry run: nothing reached Meta


class AppointmentEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    type: str
    received_at: str
    source: str  # api | button


class VoucherAppointment(msgspec.Struct, frozen=True, kw_only=True):
    """What the client's public voucher page shows of an appointment."""

    id: str
    client_name: str
    service: str
    starts_at: str
    location: str
    status: str


class AppointmentDetail(msgspec.Struct, frozen=True, kw_only=True):
    """An appointment as its events left it, with the messages planned for it."""

    id: str
    client_name: str
    phone: str
    wa_id: str
    service: str
    starts_at: str
    location: str
    status: str  # scheduled | confirmed | canceled
    notify_client: bool
    cancel_reason: str | None
    confirmed_at: str | None
    last_event_id: str
    created_at: str
    updated_at: str
    messages: list[AppointmentMessage]
    events: list[AppointmentEvent]


def appointment_detail(conn: sqlite3.Connection, appointment_id: str) -> AppointmentDetail | None:
    row = conn.execute(
        "SELECT id, client_name, phone, wa_id, service, starts_at, location, status, "
        "notify_client, cancel_reason, confirmed_at, last_event_id, created_at, updated_at "
        "FROM appointments WHERE id = ?",
        (appointment_id,),
    ).fetchone()
    if row is None:
        return None
    messages = conn.execute(
        "SELECT id, kind, state, wamid, to_number, starts_at, due_at, created_at, reason_code, "
        "dry_run FROM messages WHERE appointment_id = ? ORDER BY created_at, id",
        (appointment_id,),
    ).fetchall()
    events = conn.execute(
        "SELECT id, type, received_at, source FROM events "
        # The expression of the events_appointment index, word for word (migration 0013).
        "WHERE (CASE WHEN json_valid(data_json) THEN json_extract(data_json, '$.appointment_id') "
        "END) = ? ORDER BY received_at, id",
        (appointment_id,),
    ).fetchall()
    return AppointmentDetail(
        **{**dict(row), "notify_client": bool(row["notify_client"])},
        messages=[
            AppointmentMessage(**{**dict(m), "dry_run": bool(m["dry_run"])}) for m in messages
        ],
        events=[AppointmentEvent(**dict(e)) for e in events],
    )


def voucher_appointment(conn: sqlite3.Connection, appointment_id: str) -> VoucherAppointment | None:
    row = conn.execute(
        "SELECT id, client_name, service, starts_at, location, status FROM appointments "
        "WHERE id = ?",
        (appointment_id,),
    ).fetchone()
    return VoucherAppointment(**dict(row)) if row else None
