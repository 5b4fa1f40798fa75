"""What a ``whatsapp:<template>`` flow action sends: the recipient and template values taken
from the event's free-form data.

The client may be given as ``client {name, phone}`` (as appointment events do) or as
top-level ``name``/``client_name`` and ``phone``. A missing or invalid phone makes the
action fail for good, with a reason the operator can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recado.rules.phone import PhoneError, normalize_phone


@dataclass(frozen=True)
class HubMessage:
    to: str  # E.164
    values: dict[str, str]


class NoRecipient(ValueError):
    def __init__(self, pt_br: str, en: str) -> None:
        super().__init__(en)
        self.pt_br = pt_br
        self.en = en


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _instant(text: str) -> str:
    """An RFC 3339 instant with its offset, or "" (a free-form value is not trusted)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return text if parsed.tzinfo is not None else ""


def hub_message(data: dict[str, Any], occurred_at: str) -> HubMessage:
    client = data.get("client") if isinstance(data.get("client"), dict) else {}
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
