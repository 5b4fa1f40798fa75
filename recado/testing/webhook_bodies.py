"""Real-format Meta webhook bodies (WHATSAPP.md §3-4, §11), for tests and demos.

Each ``inbound_*``/``status``/``echo``/... builder returns one *change* (``{"field", "value"}``);
``envelope`` wraps changes into a body, ``signed`` turns it into bytes and headers.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from recado.whatsapp.signature import sign

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
BUSINESS_NUMBER = "5511900000000"

_ids = itertools.count(1)


def wamid(prefix: str = "IN") -> str:
    return f"wamid.{prefix}{next(_ids):010d}"


def _metadata() -> dict[str, str]:
    return {"display_phone_number": BUSINESS_NUMBER, "phone_number_id": PHONE_NUMBER_ID}


def envelope(changes: list[dict[str, Any]], waba_id: str = WABA_ID) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": waba_id, "changes": changes}]}


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def signed(body: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    raw = encode(body)
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, raw)}


def _messages_change(message: dict[str, Any], wa_id: str, name: str | None) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": _metadata()}
    if name is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
    value["messages"] = [message]
    return {"field": "messages", "value": value}


def inbound(
    mtype: str,
    content: dict[str, Any] | None,
    *,
    wa_id: str = "5511987654321",
    ts: int = 1767225600,
    id: str | None = None,
    name: str | None = "Ana",
    context_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": wa_id,
        "id": id or wamid(),
        "timestamp": str(ts),
        "type": mtype,
    }
    if content is not None:
        message[mtype] = content
    if context_id:
        message["context"] = {"from": BUSINESS_NUMBER, "id": context_id}
    message.update(extra or {})
    return _messages_change(message, wa_id, name)


def inbound_text(body: str = "Oi", **kw: Any) -> dict[str, Any]:
    return inbound("text", {"body": body}, **kw)


def inbound_button(payload: str, text: str, **kw: Any) -> dict[str, Any]:
    return inbound("button", {"payload": payload, "text": text}, **kw)


def inbound_interactive(
    reply_id: str, title: str, kind: str = "button_reply", **kw: Any
) -> dict[str, Any]:
    return inbound("interactive", {"type": kind, kind: {"id": reply_id, "title": title}}, **kw)


def inbound_media(kind: str, **kw: Any) -> dict[str, Any]:
    content = {
        "id": "1234567890",
        "mime_type": {
            "image": "image/jpeg",
            "audio": "audio/ogg",
            "video": "video/mp4",
            "document": "application/pdf",
            "sticker": "image/webp",
        }[kind],
        "sha256": "a" * 44,
    }
    if kind in ("image", "video", "document"):
        content["caption"] = f"uma {kind}"
    if kind == "document":
        content["filename"] = "recibo.pdf"
    return inbound(kind, content, **kw)


def inbound_reaction(message_id: str, emoji: str = "👍", **kw: Any) -> dict[str, Any]:
    return inbound("reaction", {"message_id": message_id, "emoji": emoji}, **kw)


def inbound_location(**kw: Any) -> dict[str, Any]:
    return inbound(
        "location",
        {
            "latitude": -23.56,
            "longitude": -46.65,
            "name": "Studio",
            "address": "Av. Paulista, 1000",
        },
        **kw,
    )


def inbound_contacts(**kw: Any) -> dict[str, Any]:
    return inbound(
        "contacts",
        [
            {
                "name": {"formatted_name": "Bia"},  # type: ignore[arg-type]
                "phones": [{"phone": "+5511912345678"}],
            }
        ],
        **kw,
    )


def inbound_order(**kw: Any) -> dict[str, Any]:
    return inbound(
        "order",
        {
            "catalog_id": "999",
            "product_items": [
                {
                    "product_retailer_id": "corte",
                    "quantity": "1",
                    "item_price": "80",
                    "currency": "BRL",
                }
            ],
        },
        **kw,
    )


def inbound_system(**kw: Any) -> dict[str, Any]:
    return inbound(
        "system",
        {
            "body": "User A changed from 5511... to 5511...",
            "type": "user_changed_number",
            "wa_id": "5511999999999",
        },
        **kw,
    )


def inbound_unsupported(**kw: Any) -> dict[str, Any]:
    return inbound(
        "unsupported",
        None,
        extra={
            "errors": [
                {
                    "code": 131051,
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "error_data": {"details": "Message type is currently not supported."},
                }
            ]
        },
        **kw,
    )


def status(
    wamid_: str,
    status_: str,
    *,
    ts: int = 1767225800,
    recipient: str = "5511987654321",
    callback_data: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid_,
        "status": status_,
        "timestamp": str(ts),
        "recipient_id": recipient,
    }
    if callback_data:
        item["biz_opaque_callback_data"] = callback_data
    if status_ == "sent":
        item["conversation"] = {
            "id": "c0ffee12",
            "expiration_timestamp": str(ts + 86400),
            "origin": {"type": "utility"},
        }
        item["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "category": "utility",
            "type": "regular",
        }
    if errors:
        item["errors"] = errors
    return {
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": _metadata(), "statuses": [item]},
    }


def graph_error(code: int, title: str, details: str) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }


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
            "metadata": _metadata(),
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
            "metadata": _metadata(),
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
            "metadata": _metadata(),
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
            "metadata": _metadata(),
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
            "metadata": _metadata(),
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


def template_status(
    event: str = "APPROVED", name: str = "aviso_de_agendamento", reason: str | None = "NONE"
) -> dict[str, Any]:
    return {
        "field": "message_template_status_update",
        "value": {
            "event": event,
            "message_template_id": 1689556908129832,
            "message_template_name": name,
            "message_template_language": "pt_BR",
            "reason": reason,
            "message_template_category": "UTILITY",
        },
    }


def quality_update() -> dict[str, Any]:
    return {
        "field": "phone_number_quality_update",
        "value": {
            "display_phone_number": BUSINESS_NUMBER,
            "event": "THROUGHPUT_UPGRADE",
            "max_daily_conversations_per_business": "TIER_UNLIMITED",
        },
    }


def unknown_field(field: str = "some_future_field") -> dict[str, Any]:
    return {"field": field, "value": {"anything": [1, 2, 3], "nested": {"ok": True}}}


def value_errors() -> dict[str, Any]:
    return {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": _metadata(),
            "errors": [graph_error(131000, "Something went wrong", "Message failed to send")],
        },
    }
