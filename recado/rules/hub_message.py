"""What a ``whatsapp:<template>`` flow action sends: the recipient and template values taken
from the event's free-form data.

The client may be given as ``client {name, phone}`` (as appointment events do) or as
top-level ``name``/``client_name`` and ``phone``. A missing or invalid phone, or a
``starts_at`` outside the sane range (``rules/bounds.py``: year 9999 overflows every date
computation downstream), makes the action fail for good with a reason naming the field,
before anything reaches the sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recado.rules.bounds import RANGE_TEXT, RANGE_TEXT_PT, instant_ok
from recado.rules.phone import PhoneError, normalize_phone


@dataclass(frozen=True)
class HubMessage:
    to: str  # E.164
    values: dict[str, str]


class BadEventData(ValueError):
    """The event's data cannot make this message; the texts name the field."""

    def __init__(self, pt_br: str, en: str) -> None:
        super().__init__(en)
        self.pt_br = pt_br
        self.en = en


class NoRecipient(BadEventData):
    pass


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _instant(text: str) -> str:
    """An RFC 3339 instant with its offset, or "" (a free-form value is not trusted).
    BadEventData when it is a real instant outside the sane range."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if parsed.tzinfo is None:
        return ""
    if not instant_ok(parsed):
        raise BadEventData(
            f"data.starts_at ({text[:40]}) está fora do intervalo aceito ({RANGE_TEXT_PT}).",
            f"data.starts_at ({text[:40]}) is out of range: expected an instant {RANGE_TEXT}.",
        )
    return text


def hub_message(data: dict[str, Any], occurred_at: str) -> HubMessage:
    raw_client = data.get("client")
    client: dict[str, Any] = raw_client if isinstance(raw_client, dict) else {}
    phone = _text(client.get("phone")) or _text(data.get("phone"))
    if not phone:
        raise NoRecipient(
            "O evento não traz o telefone do cliente (data.client.phone ou data.phone).",
            "The event carries no client phone (data.client.phone or data.phone).",
        )
    try:
        to = normalize_phone(phone)
    except PhoneError as exc:
        raise NoRecipient(
            f"O telefone do cliente no evento não é válido: {exc.pt_br}.",
            f"The client phone in the event is not valid: {exc.en}.",
        ) from exc
    values = {
        "client_name": _text(client.get("name"))
        or _text(data.get("client_name"))
        or _text(data.get("name")),
        "service": _text(data.get("service")),
        "starts_at": _instant(_text(data.get("starts_at"))) or occurred_at,
        "location": _text(data.get("location")),
        "appointment_id": _text(data.get("appointment_id")) or _text(data.get("id")),
    }
    return HubMessage(to, values)
