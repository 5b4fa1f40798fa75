"""The events API's payloads (docs/reference.md §4.3, §5): msgspec Structs and the checks
that name every bad field for a 422, all at once (as ``check-config`` does)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from recado.rules.ids import id_problem
from recado.rules.instants import parse_instant
from recado.rules.json_depth import depth_ok, too_deep_detail
from recado.rules.kinds import (
    APPOINTMENT_CANCELED_EVENT,
    APPOINTMENT_CREATED_EVENT,
    APPOINTMENT_RESCHEDULED_EVENT,
    APPOINTMENT_TYPES,
    FREE_FORM_TYPES,
)
from recado.rules.phone import PhoneError, normalize_phone


class Envelope(msgspec.Struct):
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
    """Every problem found in one body; ``field`` and ``detail`` are the first, for callers
    that name one. ``code`` is ``invalid_field``, or for a body that is not usable JSON at
    all, ``invalid_json`` or ``too_deep``."""

    def __init__(self, problems: list[tuple[str, str]], code: str = "invalid_field") -> None:
        self.problems = problems
        self.code = code
        self.field, self.detail = problems[0]
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return "; ".join(f"{field}: {detail}" for field, detail in self.problems)


ENVELOPE_FIELDS = {"id": str, "type": str, "occurred_at": str, "data": dict}


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


def decode_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or EventInvalid on ``body`` (the caller's 400)."""
    if not depth_ok(raw):
        raise EventInvalid([("body", too_deep_detail())], "too_deep")
    try:
        value = msgspec.json.decode(raw)
    except msgspec.ValidationError as exc:
        # Untyped decoding validates only numbers: beyond a float's range or 4300 digits.
        raise EventInvalid([("body", f"a number is out of range ({exc})")], "invalid_json") from exc
    except msgspec.DecodeError as exc:
        raise EventInvalid([("body", "not a JSON object")], "invalid_json") from exc
    if not isinstance(value, dict):
        raise EventInvalid([("body", "not a JSON object")], "invalid_json")
    return value


def validate_event(raw: bytes) -> ValidEvent:
    """Parse and check one event body; raise EventInvalid listing every problem found."""
    body = decode_body(raw)
    problems: list[tuple[str, str]] = []
    usable: dict[str, Any] = {}
    for name, typ in ENVELOPE_FIELDS.items():
        if name not in body:
            problems.append((name, "required"))
        elif _check_type(body[name], typ, name, problems):
            usable[name] = body[name]
    problems.extend((name, "unknown field") for name in body if name not in ENVELOPE_FIELDS)
    _check_id(usable.get("id"), "id", problems)
    occurred_at = None
    if "occurred_at" in usable:
        occurred_at = _instant(usable["occurred_at"], "occurred_at", problems)
    appointment = None
    if "type" in usable:
        # Without a usable object there is no data to check, but the type is still known.
        appointment = _check_data(usable["type"], usable.get("data"), problems)
    if problems or occurred_at is None:
        raise EventInvalid(problems)
    envelope = Envelope(body["id"], body["type"], body["occurred_at"], body["data"])
    return ValidEvent(
        envelope.id, envelope.type, occurred_at, envelope.data, body_hash(envelope), appointment
    )


def _check_data(
    event_type: str, data: dict[str, Any] | None, problems: list[tuple[str, str]]
) -> Appointment | Cancellation | None:
    known = (*APPOINTMENT_TYPES, *FREE_FORM_TYPES)
    if event_type not in known:
        problems.append(("type", f'"{event_type}" is not a known event type ({", ".join(known)})'))
        return None
    if data is None:
        return None
    if event_type in (APPOINTMENT_CREATED_EVENT, APPOINTMENT_RESCHEDULED_EVENT):
        apt = _convert(data, AppointmentData, "data", problems)
        # The checks of meaning run on every field of the right type, whatever is wrong
        # with the others, so one answer lists it all.
        raw_client = data.get("client")
        client: dict[str, Any] = raw_client if isinstance(raw_client, dict) else {}
        phone = _phone(client.get("phone"), problems)
        _check_id(data.get("appointment_id"), "data.appointment_id", problems)
        for name, value in (
            ("data.client.name", client.get("name")),
            ("data.service", data.get("service")),
        ):
            if isinstance(value, str) and not value.strip():
                problems.append((name, "must not be empty"))
        starts_raw = data.get("starts_at")
        starts_at = (
            _instant(starts_raw, "data.starts_at", problems)
            if isinstance(starts_raw, str)
            else None
        )
        if apt is None or phone is None or starts_at is None or problems:
            return None
        return Appointment(
            apt.appointment_id,
            apt.client.name.strip(),
            phone,
            apt.service.strip(),
            starts_at,
            apt.location,
            apt.notify_client,
        )
    if event_type == APPOINTMENT_CANCELED_EVENT:
        cancel = _convert(data, CancelData, "data", problems)
        if cancel is None or not _check_id(cancel.appointment_id, "data.appointment_id", problems):
            return None
        return Cancellation(cancel.appointment_id, cancel.notify_client, cancel.reason)
    _check_id(data.get("id"), "data.id", problems)
    _convert(data, FreeFormData, "data", problems)
    return None


def _check_id(value: Any, field: str, problems: list[tuple[str, str]]) -> bool:
    """A string id the rules of ``rules/ids`` accept; a value of another type is reported
    by the type check, not here."""
    if not isinstance(value, str):
        return True
    problem = id_problem(value)
    if problem is not None:
        problems.append((field, problem))
    return problem is None


def _phone(value: Any, problems: list[tuple[str, str]]) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return normalize_phone(value)
    except PhoneError as exc:
        problems.append(("data.client.phone", exc.en))
        return None


def _instant(value: str, field: str, problems: list[tuple[str, str]]) -> datetime | None:
    try:
        return parse_instant(value)
    except ValueError as exc:
        problems.append((field, str(exc)))
        return None


def _check_type(value: Any, typ: Any, field: str, problems: list[tuple[str, str]]) -> bool:
    try:
        msgspec.convert(value, typ)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `$")
        problems.append((field + path.rstrip("`"), message))
        return False
    return True


def _convert(
    value: dict[str, Any], typ: type[Any], prefix: str, problems: list[tuple[str, str]]
) -> Any:
    """``value`` as the Struct ``typ``, checking every field (msgspec stops at the first
    problem) so that the answer lists them all; None when any was found."""
    found = len(problems)
    for info in msgspec.structs.fields(typ):
        field = f"{prefix}.{info.encode_name}"
        if info.encode_name not in value:
            if info.required:
                problems.append((field, "required"))
            continue
        item = value[info.encode_name]
        if isinstance(info.type, type) and issubclass(info.type, msgspec.Struct):
            if _check_type(item, dict, field, problems):
                _convert(item, info.type, field, problems)
        else:
            _check_type(item, info.type, field, problems)
    if len(problems) > found:
        return None
    return msgspec.convert(value, typ)
