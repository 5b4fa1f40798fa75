"""What the WhatsApp Business app shares under coexistence: echoes of its sends, old history
and contact sync."""

from __future__ import annotations

from typing import Any

from recado.testing.webhook_bodies.envelope import BUSINESS_NUMBER, metadata, wamid
from recado.testing.webhook_bodies.statuses import graph_error


def echo(
    text: str = "Já estou indo",
    *,
    to: str = "5511987654321",
    ts: int = 1767226000,
    id: str | None = None,
) -> dict[str, Any]:
    return {
        "field": "smb_message_echoes",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "message_echoes": [
                {
                    "from": BUSINESS_NUMBER,
                    "to": to,
                    "id": id or wamid("ECHO"),
                    "timestamp": str(ts),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        },
    }


def history_chunk(
    *,
    thread: str = "5511987654321",
    ts: int = 1760000000,
    phase: int = 1,
    chunk_order: int = 1,
    progress: int = 50,
) -> dict[str, Any]:
    messages = [
        {
            "from": thread,
            "id": wamid("HIST"),
            "timestamp": str(ts),
            "type": "text",
            "text": {"body": "mensagem antiga"},
            "history_context": {"status": "READ"},
        },
        {
            "from": BUSINESS_NUMBER,
            "to": thread,
            "id": wamid("HIST"),
            "timestamp": str(ts + 60),
            "type": "text",
            "text": {"body": "resposta antiga"},
            "history_context": {"status": "DELIVERED"},
        },
    ]
    return {
        "field": "history",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "history": [
                {
                    "metadata": {"phase": phase, "chunk_order": chunk_order, "progress": progress},
                    "threads": [{"id": thread, "messages": messages}],
                }
            ],
        },
    }


def history_media_followup(*, wa_id: str = "5511987654321", ts: int = 1760000000) -> dict[str, Any]:
    """The media of old history: a top-level messages[] that must not count as inbound."""
    return {
        "field": "history",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "messages": [
                {
                    "from": wa_id,
                    "id": wamid("HMEDIA"),
                    "timestamp": str(ts),
                    "type": "image",
                    "image": {"id": "555", "mime_type": "image/jpeg"},
                }
            ],
        },
    }


def history_declined() -> dict[str, Any]:
    return {
        "field": "history",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "history": [
                {
                    "errors": [
                        graph_error(
                            2593109,
                            "History sharing declined",
                            "The business declined to share history",
                        )
                    ]
                }
            ],
        },
    }


def state_sync(*, number: str = "+5511987654321", action: str = "add") -> dict[str, Any]:
    contact: dict[str, Any] = {"phone_number": number}
    if action != "remove":
        contact.update(full_name="Ana Souza", first_name="Ana")
    return {
        "field": "smb_app_state_sync",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "state_sync": [
                {
                    "type": "contact",
                    "contact": contact,
                    "action": action,
                    "metadata": {"timestamp": "1767226100"},
                }
            ],
        },
    }
