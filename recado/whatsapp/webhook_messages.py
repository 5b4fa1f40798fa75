"""Items of the ``messages`` field: a client's inbound messages and the statuses of what the
studio sent. Each parser gets one array element and returns its item, or a ``BadItem`` when
a required key is missing; a malformed integer raises ``BadValue`` (``webhook_values``)."""

from __future__ import annotations

from typing import Any

from recado.whatsapp.webhook_items import BadItem, InboundMessage, Item, StatusUpdate
from recado.whatsapp.webhook_values import (
    array,
    as_json,
    graph_errors,
    integer,
    obj,
    text,
    text_of,
)


def profile_names(contacts: Any) -> dict[str, str]:
    """The WhatsApp profile name of each ``wa_id`` in the change's ``contacts``."""
    names = {}
    for c in array(contacts):
        if isinstance(c, dict) and isinstance(c.get("profile"), dict):
            wa_id, name = text(c.get("wa_id")), text(c["profile"].get("name"))
            if wa_id and name:
                names[wa_id] = name
    return names


def inbound(m: Any, names: dict[str, str], pnid: str | None, waba: str | None, path: str) -> Item:
    if not isinstance(m, dict):
        return BadItem("messages", path, "not an object", as_json(m))
    wamid, wa_id = text(m.get("id")), text(m.get("from"))
    ts = integer(m.get("timestamp"), f"{path}.timestamp", unix=True)
    mtype = text(m.get("type")) or "unknown"
    if not wamid or not wa_id or ts is None:
        return BadItem("messages", path, "missing id, from or timestamp", as_json(m))
    content = m.get(mtype)
    context = obj(m.get("context"))
    payload = title = None
    if mtype == "button" and isinstance(content, dict):
        payload, title = text(content.get("payload")), text(content.get("text"))
    elif mtype == "interactive" and isinstance(content, dict):
        reply = content.get(content.get("type") or "")
        if isinstance(reply, dict):
            payload, title = text(reply.get("id")), text(reply.get("title"))
    return InboundMessage(
        wamid=wamid,
        wa_id=wa_id,
        profile_name=names.get(wa_id),
        timestamp=ts,
        type=mtype,
        context_id=text(context.get("id")),
        reply_payload=payload,
        reply_title=title,
        text_body=text_of(mtype, content),
        content_json=as_json(content if content is not None else {}),
        errors=graph_errors(m.get("errors"), f"{path}.errors"),
        phone_number_id=pnid,
        waba_id=waba,
        path=path,
        raw_json=as_json(m),
    )


def status(s: Any, pnid: str | None, path: str) -> Item:
    if not isinstance(s, dict):
        return BadItem("messages", path, "not an object", as_json(s))
    wamid, state = text(s.get("id")), text(s.get("status"))
    ts = integer(s.get("timestamp"), f"{path}.timestamp", unix=True)
    if not wamid or not state or ts is None:
        return BadItem("messages", path, "missing id, status or timestamp", as_json(s))
    conversation = obj(s.get("conversation"))
    origin = obj(conversation.get("origin"))
    pricing = s.get("pricing")
    return StatusUpdate(
        wamid=wamid,
        status=state,
        timestamp=ts,
        recipient_id=text(s.get("recipient_id")),
        callback_data=text(s.get("biz_opaque_callback_data")),
        conversation_id=text(conversation.get("id")),
        conversation_expires_at=integer(
            conversation.get("expiration_timestamp"),
            f"{path}.conversation.expiration_timestamp",
            unix=True,
        ),
        conversation_origin=text(origin.get("type")),
        pricing_json=as_json(pricing) if isinstance(pricing, dict) else None,
        errors=graph_errors(s.get("errors"), f"{path}.errors"),
        phone_number_id=pnid,
        path=path,
        raw_json=as_json(s),
    )
