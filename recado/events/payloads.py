"""The events API's payloads (CONTRACT §4.3): msgspec Structs and the checks that name the
bad field for a 422."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from recado.rules.phone import PhoneError, normalize_phone

APPOINTMENT_TYPES = ("appointment.created", "appointment.rescheduled", "appointment.canceled")
FREE_FORM_TYPES = (
    "lead.created",
    "client.registered",
    "service.completed",
    "payment.received",
    "feedback.received",
)


class Envelope(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    type: str
    occurred_at: str
    data: dict[str, Any]


class Client(msgspec.Struct):
    name: str
    phone: str


class AppointmentData(msgspec.Struct):
    appointment_id: str
    client: Client
    service: str
    starts_at: str
    location: str | None = None
    notify_client: bool = True


class CancelData(msgspec.Struct):
    appointment_id: str
    notify_client: bool = False
    reason: str = ""


class FreeFormData(msgspec.Struct):
    id: str


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    client_name: str
    phone: str
    service: str
    starts_at: datetime
    location: str | None
    notify_client: bool


@dataclass(frozen=True)
class Cancellation:
    appointment_id: str
    notify_client: bool
    reason: str


@dataclass(frozen=True)
class ValidEvent:
    id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    body_sha256: str
    appointment: Appointment | Cancellation | None


class EventInvalid(Exception):
    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        self.detail = detail
        super().__init__(f"{field}: {detail}")


_envelope_decoder = msgspec.json.Decoder(Envelope)


def _field_of(exc: msgspec.ValidationError, prefix: str) -> tuple[str, str]:
    text = str(exc)
    message, _, path = text.partition(" - at `$")
    path = path.rstrip("`").lstrip(".")
    if message.startswith("Object missing required field `"):
        name = message.split("`")[1]
        field = ".".join(p for p in (prefix, path, name) if p)
        return field, "required"
    field = ".".join(p for p in (prefix, path) if p) or prefix or "body"
    return field, message


def _rfc3339(value: str, field: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EventInvalid(
            field, "expected an RFC 3339 time, e.g. 2026-11-24T10:00:00-03:00"
        ) from exc
    if dt.tzinfo is None:
        raise EventInvalid(field, "the time needs an offset, e.g. 2026-11-24T10:00:00-03:00")
    return dt.astimezone(UTC)


def body_hash(envelope: Envelope) -> str:
    canonical = json.dumps(
        {
            "id": envelope.id,
            "type": envelope.type,
            "occurred_at": envelope.occurred_at,
            "data": envelope.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_event(raw: bytes) -> ValidEvent:
    """Parse and check one event body; raise EventInvalid naming the field."""
    try:
        envelope = _envelope_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise EventInvalid(*_field_of(exc, "")) from exc
    except msgspec.DecodeError as exc:
        raise EventInvalid("body", "not a JSON object") from exc
    if not envelope.id.strip() or len(envelope.id) > 200:
        raise EventInvalid("id", "expected a non-empty string of at most 200 characters")
    occurred_at = _rfc3339(envelope.occurred_at, "occurred_at")
    appointment: Appointment | Cancellation | None = None
    if envelope.type in ("appointment.created", "appointment.rescheduled"):
        data = _convert(envelope.data, AppointmentData)
        try:
            phone = normalize_phone(data.client.phone)
        except PhoneError as exc:
            raise EventInvalid("data.client.phone", exc.en) from exc
        for name, value in (
            ("data.appointment_id", data.appointment_id),
            ("data.client.name", data.client.name),
            ("data.service", data.service),
        ):
            if not value.strip():
                raise EventInvalid(name, "must not be empty")
        appointment = Appointment(
            data.appointment_id,
            data.client.name.strip(),
            phone,
            data.service.strip(),
            _rfc3339(data.starts_at, "data.starts_at"),
            data.location,
            data.notify_client,
        )
    elif envelope.type == "appointment.canceled":
        cancel = _convert(envelope.data, CancelData)
        if not cancel.appointment_id.strip():
            raise EventInvalid("data.appointment_id", "must not be empty")
        appointment = Cancellation(cancel.appointment_id, cancel.notify_client, cancel.reason)
    elif envelope.type in FREE_FORM_TYPES:
        _convert(envelope.data, FreeFormData)
    else:
        known = ", ".join((*APPOINTMENT_TYPES, *FREE_FORM_TYPES))
        raise EventInvalid("type", f'"{envelope.type}" is not a known event type ({known})')
    return ValidEvent(
        envelope.id, envelope.type, occurred_at, envelope.data, body_hash(envelope), appointment
    )


def _convert(data: dict[str, Any], typ: type[Any]) -> Any:
    try:
        return msgspec.convert(data, typ)
    except msgspec.ValidationError as exc:
        raise EventInvalid(*_field_of(exc, "data")) from exc
