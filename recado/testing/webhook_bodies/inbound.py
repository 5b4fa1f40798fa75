"""A client's inbound messages, one builder per message type, each one ``messages``
change."""

from __future__ import annotations

from typing import Any

from recado.testing.webhook_bodies.envelope import BUSINESS_NUMBER, metadata, wamid


def _messages_change(message: dict[str, Any], wa_id: str, name: str | None) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": metadata()}
    if name is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
    value["messages"] = [message]
    return {"field": "messages", "value": value}


def inbound(
    mtype: str,
    content: dict[str, Any] | list[Any] | None,
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
                "name": {"formatted_name": "Bia"},
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
