"""A client's inbound messages, one builder per message type, each one ``messages``
change."""

from __future__ import annotations

from typing import Any

from recado.testing.webhook_bodies.envelope import BUSINESS_NUMBER, metadata, wamid


def _messages_change(
    message: dict[str, Any],
    wa_id: str | None,
    name: str | None,
    user_id: str | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": metadata()}
    if name is not None or user_id is not None:
        profile: dict[str, Any] = {"name": name} if name is not None else {}
        if username is not None:
            profile["username"] = username
        contact: dict[str, Any] = {"profile": profile}
        if wa_id is not None:
            contact["wa_id"] = wa_id
        if user_id is not None:
            contact["user_id"] = user_id
        value["contacts"] = [contact]
    value["messages"] = [message]
    return {"field": "messages", "value": value}


def inbound(
    mtype: str,
    content: dict[str, Any] | list[Any] | None,
    *,
    wa_id: str | None = "5511987654321",
    ts: int = 1767225600,
    id: str | None = None,
    name: str | None = "Ana",
    context_id: str | None = None,
    extra: dict[str, Any] | None = None,
    user_id: str | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    """``wa_id=None`` with a ``user_id``: a username-only user whose phone Meta withholds
    (``from`` and ``contacts[].wa_id`` left out, docs/whatsapp-notes.md §2)."""
    message: dict[str, Any] = {"id": id or wamid(), "timestamp": str(ts), "type": mtype}
    if wa_id is not None:
        message["from"] = wa_id
    if user_id is not None:
        message["from_user_id"] = user_id
    if content is not None:
        message[mtype] = content
    if context_id:
        message["context"] = {"from": BUSINESS_NUMBER, "id": context_id}
    message.update(extra or {})
    return _messages_change(message, wa_id, name, user_id, username)


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


def inbound_edit(original_id: str, body: str, **kw: Any) -> dict[str, Any]:
    """The client edited their text ``original_id``: the new text as a message of its own."""
    content = {
        "original_message_id": original_id,
        "message": {"type": "text", "text": {"body": body}},
    }
    return inbound("edit", content, **kw)


def inbound_revoke(original_id: str, **kw: Any) -> dict[str, Any]:
    """The client deleted their message ``original_id`` for everyone."""
    return inbound("revoke", {"original_message_id": original_id}, **kw)


def user_changed(
    previous_user_id: str,
    user_id: str,
    *,
    number: bool = False,
    ts: int = 1767225700,
    id: str | None = None,
) -> dict[str, Any]:
    """Meta's system message of 2026 for a user whose BSUID changed (``number``: because the
    phone changed too): no ``contacts[]``, the ids in ``system``."""
    kind = "user_changed_number" if number else "user_changed_user_id"
    message = {
        "from_user_id": user_id,
        "id": id or wamid("SYS"),
        "timestamp": str(ts),
        "type": "system",
        "system": {
            "type": kind,
            "body": "User ID changed",
            "previous_user_id": previous_user_id,
            "user_id": user_id,
        },
    }
    value = {"messaging_product": "whatsapp", "metadata": metadata(), "messages": [message]}
    return {"field": "messages", "value": value}
