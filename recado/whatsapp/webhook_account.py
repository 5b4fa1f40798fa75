"""Items of the coexistence and account fields: echoes of what the studio's app sent
(``smb_message_echoes``), shared history (``history``), contact sync
(``smb_app_state_sync``) and template updates. None of them ever triggers a send."""

from __future__ import annotations

from typing import Any

from recado.whatsapp.webhook_items import (
    BadItem,
    EchoMessage,
    HistoryChunk,
    Item,
    StateSync,
    TemplateStatus,
)
from recado.whatsapp.webhook_values import array, as_json, graph_errors, integer, obj, text, text_of

ECHOES = "smb_message_echoes"
TEMPLATE_FIELDS = (
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
)


def echo(e: Any, path: str) -> Item:
    if not isinstance(e, dict):
        return BadItem(ECHOES, path, "not an object", as_json(e))
    wamid, to = text(e.get("id")), text(e.get("to"))
    ts = integer(e.get("timestamp"), f"{path}.timestamp", unix=True)
    etype = text(e.get("type")) or "unknown"
    if not wamid or not to or ts is None:
        return BadItem(ECHOES, path, "missing id, to or timestamp", as_json(e))
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
    )


def history(chunk: Any, path: str) -> HistoryChunk:
    if not isinstance(chunk, dict):
        return HistoryChunk(None, None, None, 0, None, as_json(chunk))
    errors = graph_errors(chunk.get("errors"), f"{path}.errors")
    meta = obj(chunk.get("metadata"))
    count = sum(
        len(array(t.get("messages"))) for t in array(chunk.get("threads")) if isinstance(t, dict)
    )
    return HistoryChunk(
        integer(meta.get("phase"), f"{path}.metadata.phase"),
        integer(meta.get("chunk_order"), f"{path}.metadata.chunk_order"),
        integer(meta.get("progress"), f"{path}.metadata.progress"),
        count,
        errors[0].code if errors else None,
        as_json(chunk),
    )


def history_media(media: list[Any]) -> HistoryChunk:
    """Media follow-ups of old history arrive as a top-level ``messages[]``: history, never
    live inbound (they would reopen the 24 h window)."""
    return HistoryChunk(None, None, None, len(media), None, as_json({"messages": media}))


def state_sync(item: Any) -> StateSync:
    if not isinstance(item, dict):
        return StateSync(None, None, "malformed item", as_json(item))
    contact = obj(item.get("contact"))
    number = text(contact.get("phone_number"))
    action = text(item.get("action"))
    name = text(contact.get("full_name")) or ""
    summary = f"{action or '?'} {name} {number or ''}".strip()
    return StateSync(number.lstrip("+") if number else None, action, summary, as_json(item))


def template_status(fname: str, value: dict[str, Any]) -> TemplateStatus:
    return TemplateStatus(
        fname,
        text(value.get("event") or value.get("new_quality_score") or value.get("new_category")),
        text(value.get("message_template_name")),
        text(value.get("message_template_language")),
        text(value.get("reason")),
        as_json(value),
    )
