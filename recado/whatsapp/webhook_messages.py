"""Items of the ``messages`` field: a client's inbound messages and the statuses of what the
studio sent. Each parser gets one array element and returns its item, or a ``BadItem`` when
a required key is missing; a malformed integer raises ``BadValue`` (``webhook_values``)."""

from __future__ import annotations

from typing import Any

from recado.whatsapp.webhook_items import (
    BadItem,
    Contact,
    InboundMessage,
    Item,
    StatusUpdate,
    SystemChange,
)
from recado.whatsapp.webhook_values import (
    array,
    as_json,
    graph_errors,
    integer,
    obj,
    present,
    text,
    text_of,
)

# System messages that move a user's ids (docs/whatsapp-notes.md §2).
ID_CHANGES = ("user_changed_number", "user_changed_user_id")


def contacts(value: Any) -> list[Contact]:
    """The change's ``contacts[]``: who its messages (or statuses) are about. Since 2026 the
    BSUID is always there and the phone (``wa_id``) only when Meta shares it."""
    out = []
    for c in array(value):
        if isinstance(c, dict):
            profile = obj(c.get("profile"))
            out.append(
                Contact(
                    user_id=present(c.get("user_id")),
                    wa_id=present(c.get("wa_id")),
                    username=present(profile.get("username")) or present(c.get("username")),
                    profile_name=present(profile.get("name")),
                )
            )
    return out


def contact_for(found: list[Contact], user_id: str | None, wa_id: str | None) -> Contact | None:
    """The contact of an item: the one with its BSUID, else with its phone; the only one
    when the item names neither."""
    for c in found:
        if user_id and c.user_id == user_id:
            return c
    for c in found:
        if wa_id and c.wa_id == wa_id and not (user_id and c.user_id):
            return c
    if not user_id and not wa_id and len(found) == 1:
        return found[0]
    return None


def inbound(m: Any, people: list[Contact], pnid: str | None, waba: str | None, path: str) -> Item:
    if not isinstance(m, dict):
        return BadItem("messages", path, "not an object", as_json(m))
    wamid = text(m.get("id"))
    wa_id, user_id = present(m.get("from")), present(m.get("from_user_id"))
    ts = integer(m.get("timestamp"), f"{path}.timestamp", unix=True)
    mtype = text(m.get("type")) or "unknown"
    content = m.get(mtype)
    system = _system(content) if mtype == "system" else None
    contact = contact_for(people, user_id, wa_id)
    if contact is not None:
        user_id, wa_id = user_id or contact.user_id, wa_id or contact.wa_id
    changed_to = system.user_id if system is not None and system.type in ID_CHANGES else None
    if not wamid or not (wa_id or user_id or changed_to) or ts is None:
        return BadItem(
            "messages", path, "missing id, from (or from_user_id) or timestamp", as_json(m)
        )
    context = obj(m.get("context"))
    original, body = _changed(mtype, content)
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
        profile_name=contact.profile_name if contact else None,
        timestamp=ts,
        type=mtype,
        context_id=text(context.get("id")),
        reply_payload=payload,
        reply_title=title,
        text_body=body if original is not None else text_of(mtype, content),
        content_json=as_json(content if content is not None else {}),
        errors=graph_errors(m.get("errors"), f"{path}.errors"),
        phone_number_id=pnid,
        waba_id=waba,
        path=path,
        raw_json=as_json(m),
        original_wamid=original,
        user_id=user_id,
        username=contact.username if contact else None,
        system=system,
    )


def _changed(mtype: str, content: Any) -> tuple[str | None, str | None]:
    """An ``edit``'s or a ``revoke``'s original wamid, and an edit's new text: Meta puts the
    new message under ``edit.message`` as a message of its own type (docs/whatsapp-notes.md
    §3); a text straight under ``edit`` is read too."""
    if mtype not in ("edit", "revoke") or not isinstance(content, dict):
        return None, None
    original = text(content.get("original_message_id"))
    if mtype == "revoke" or original is None:
        return original, None
    inner = obj(content.get("message"))
    inner_type = text(inner.get("type")) or "text"
    body = text_of(inner_type, inner.get(inner_type)) or text_of("text", content.get("text"))
    return original, body


def _system(content: Any) -> SystemChange | None:
    if not isinstance(content, dict):
        return None
    return SystemChange(
        type=text(content.get("type")) or "",
        previous_user_id=present(content.get("previous_user_id")),
        user_id=present(content.get("user_id")),
        new_wa_id=present(content.get("wa_id")),
    )


def status(s: Any, people: list[Contact], pnid: str | None, path: str) -> Item:
    if not isinstance(s, dict):
        return BadItem("messages", path, "not an object", as_json(s))
    wamid, state = text(s.get("id")), text(s.get("status"))
    ts = integer(s.get("timestamp"), f"{path}.timestamp", unix=True)
    if not wamid or not state or ts is None:
        return BadItem("messages", path, "missing id, status or timestamp", as_json(s))
    conversation = obj(s.get("conversation"))
    origin = obj(conversation.get("origin"))
    pricing = s.get("pricing")
    recipient_id, recipient_user_id = (
        present(s.get("recipient_id")),
        present(s.get("recipient_user_id")),
    )
    return StatusUpdate(
        wamid=wamid,
        status=state,
        timestamp=ts,
        recipient_id=recipient_id,
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
        recipient_user_id=recipient_user_id,
        contact=contact_for(people, recipient_user_id, recipient_id)
        if recipient_user_id or recipient_id
        else None,
    )
