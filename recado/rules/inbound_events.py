"""What the studio's systems hear of WhatsApp (docs/reference.md §5): each message a person
sends becomes a ``whatsapp.message.received`` event, each failed status a
``whatsapp.message.failed`` one, fanned out through ``[[flows]]`` like any event.

The event's id is derived from the wamid, so a webhook Meta delivers again (or a replay)
emits nothing new. Only what a person wrote or shared counts: a reaction, an edit, a
deletion, a system message or an unsupported one is kept on the timeline but emits
nothing, and neither do echoes of the studio's app or shared history (they are not the
client writing).

The payload is built here from plain values, so its shape is one function's:

``{"wamid", "type", "timestamp", "client": {"bsuid", "phone", "name", "username"},
"text", "payload", "context_wamid", "appointment_id", "media"?, "location"?, "contacts"?}``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
RECEIVED_TYPES = ("text", "button", "interactive", *MEDIA_TYPES, "location", "contacts")

# What of a media object reaches the studio's systems: its metadata, never bytes (Meta's
# media id lets a system that holds the token fetch it).
_MEDIA_KEYS = ("id", "mime_type", "sha256", "caption", "filename", "voice", "animated")
_LOCATION_KEYS = ("latitude", "longitude", "name", "address", "url")
# A shared-contacts array is kept as sent, up to this many cards.
MAX_CONTACTS = 20


def received_event_id(wamid: str) -> str:
    return f"wa-in:{wamid}"


def failed_event_id(wamid: str) -> str:
    return f"wa-failed:{wamid}"


@dataclass(frozen=True)
class Client:
    """Who wrote, as far as recado knows: any field may be unknown."""

    bsuid: str | None = None
    phone: str | None = None  # E.164
    name: str | None = None
    username: str | None = None

    def as_data(self) -> dict[str, str | None]:
        return {
            "bsuid": self.bsuid,
            "phone": self.phone,
            "name": self.name,
            "username": self.username,
        }


def emits_received(mtype: str) -> bool:
    return mtype in RECEIVED_TYPES


def received_data(
    *,
    wamid: str,
    mtype: str,
    timestamp: str,
    client: Client,
    text: str | None,
    payload: str | None,
    context_wamid: str | None,
    appointment_id: str | None,
    content: Any,
) -> dict[str, Any]:
    """The ``data`` of a ``whatsapp.message.received`` event; ``content`` is the message's
    object named after its type, as Meta sent it (decoded JSON)."""
    data: dict[str, Any] = {
        "wamid": wamid,
        "type": mtype,
        "timestamp": timestamp,
        "client": client.as_data(),
        "text": text,
        "payload": payload,
        "context_wamid": context_wamid,
        "appointment_id": appointment_id,
    }
    if mtype in MEDIA_TYPES:
        data["media"] = _pick(content, _MEDIA_KEYS)
    elif mtype == "location":
        data["location"] = _pick(content, _LOCATION_KEYS)
    elif mtype == "contacts":
        data["contacts"] = content[:MAX_CONTACTS] if isinstance(content, list) else []
    return data


@dataclass(frozen=True)
class FailedError:
    code: int | None
    title: str | None
    details: str | None


def failed_data(
    *,
    wamid: str,
    timestamp: str,
    client: Client,
    message_id: str | None,
    kind: str | None,
    appointment_id: str | None,
    error: FailedError,
    reason_code: str | None,
) -> dict[str, Any]:
    """The ``data`` of a ``whatsapp.message.failed`` event: which message (when recado knows
    it), to whom, and Meta's first error with the reason code recado read it as."""
    return {
        "wamid": wamid,
        "timestamp": timestamp,
        "client": client.as_data(),
        "message_id": message_id,
        "kind": kind,
        "appointment_id": appointment_id,
        "error": {"code": error.code, "title": error.title, "details": error.details},
        "reason_code": reason_code,
    }


def _pick(content: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(content, dict):
        return {}
    return {k: content[k] for k in keys if k in content and _plain(content[k])}


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
