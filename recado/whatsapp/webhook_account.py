"""Items of the coexistence and account fields: echoes of what the studio's app sent
(``smb_message_echoes``), shared history (``history``), contact sync
(``smb_app_state_sync``) and template updates. None of them ever triggers a send."""

from __future__ import annotations

from typing import Any

from recado.rules.identity import looks_like_bsuid
from recado.whatsapp.webhook_items import (
    BadItem,
    Contact,
    EchoMessage,
    HistoryChunk,
    Item,
    StateSync,
    TemplateStatus,
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

ECHOES = "smb_message_echoes"
TEMPLATE_FIELDS = (
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
)


def echo(e: Any, path: str) -> Item:
    if not isinstance(e, dict):
        return BadItem(ECHOES, path, "not an object", as_json(e))
    wamid, to, to_user = text(e.get("id")), present(e.get("to")), present(e.get("to_user_id"))
    ts = integer(e.get("timestamp"), f"{path}.timestamp", unix=True)
    etype = text(e.get("type")) or "unknown"
    if not wamid or not (to or to_user) or ts is None:
        return BadItem(ECHOES, path, "missing id, to (or to_user_id) or timestamp", as_json(e))
    content = e.get(etype)
    return EchoMessage(
        wamid,
        to,
        ts,
        etype,
        text_of(etype, content),
        as_json(content if content is not None else {}),
        path,
        as_json(e),
        user_id=to_user,
    )


def history(chunk: Any, path: str) -> HistoryChunk:
    if not isinstance(chunk, dict):
        return HistoryChunk(None, None, None, 0, None, as_json(chunk))
    errors = graph_errors(chunk.get("errors"), f"{path}.errors")
    meta = obj(chunk.get("metadata"))
    threads = [t for t in array(chunk.get("threads")) if isinstance(t, dict)]
    count = sum(len(array(t.get("messages"))) for t in threads)
    return HistoryChunk(
        integer(meta.get("phase"), f"{path}.metadata.phase"),
        integer(meta.get("chunk_order"), f"{path}.metadata.chunk_order"),
        integer(meta.get("progress"), f"{path}.metadata.progress"),
        count,
        errors[0].code if errors else None,
        as_json(chunk),
        tuple(c for c in (_thread_user(t) for t in threads) if c is not None),
    )


def _thread_user(thread: dict[str, Any]) -> Contact | None:
    """Who a history thread is with: ``context.user_id`` (the BSUID) and the thread's id,
    the user's number (a BSUID there is taken as one, never as a number)."""
    user_id = present(obj(thread.get("context")).get("user_id"))
    thread_id = present(thread.get("id"))
    if thread_id and looks_like_bsuid(thread_id):
        user_id, thread_id = user_id or thread_id, None
    if not (user_id or thread_id):
        return None
    return Contact(user_id=user_id, wa_id=thread_id)


def history_media(media: list[Any]) -> HistoryChunk:
    """Media follow-ups of old history arrive as a top-level ``messages[]``: history, never
    live inbound (they would reopen the 24 h window)."""
    return HistoryChunk(None, None, None, len(media), None, as_json({"messages": media}))


def state_sync(item: Any) -> StateSync:
    if not isinstance(item, dict):
        return StateSync(None, None, "malformed item", as_json(item))
    contact = obj(item.get("contact"))
    number = present(contact.get("phone_number"))
    user_id = present(contact.get("user_id")) or present(item.get("user_id"))
    action = text(item.get("action"))
    name = text(contact.get("full_name")) or ""
    summary = f"{action or '?'} {name} {number or user_id or ''}".strip()
    wa_id = "".join(ch for ch in number if ch.isascii() and ch.isdigit()) if number else None
    return StateSync(wa_id or None, action, summary, as_json(item), user_id)


def template_status(fname: str, value: dict[str, Any]) -> TemplateStatus:
    return TemplateStatus(
        fname,
        text(value.get("event") or value.get("new_quality_score") or value.get("new_category")),
        text(value.get("message_template_name")),
        text(value.get("message_template_language")),
        text(value.get("reason")),
        as_json(value),
    )
