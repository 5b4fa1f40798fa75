"""Meta webhook bodies (WHATSAPP.md §3-4, §11) → a flat, ordered list of typed items.

Two steps, because the HTTP handler must commit before it parses anything into rows:

- ``check_envelope(raw)``: the cheap check run before the commit (JSON object,
  ``object == "whatsapp_business_account"``, ``entry`` a list of objects with ``changes``).
- ``parse_body(raw)``: run by the webhook processor after the commit. Every entry, change and
  array item becomes one item, in body order. A malformed item becomes a ``BadItem`` instead
  of failing the whole body; unknown keys are ignored (Meta adds fields) and unknown
  ``field`` values are kept verbatim as ``OtherField``.

Both functions return values for every input and never raise on data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()

# Text-bearing content per message type, so pages can show a line without parsing JSON.
_TEXT_OF = {
    "text": ("body",),
    "button": ("text",),
    "image": ("caption",),
    "video": ("caption",),
    "document": ("caption", "filename"),
    "reaction": ("emoji",),
    "location": ("name", "address"),
    "system": ("body",),
}


@dataclass(frozen=True)
class Envelope:
    fields: frozenset[str]


@dataclass(frozen=True)
class EnvelopeError:
    code: str  # invalid_json | wrong_object | missing_entry | bad_entry
    detail: str


@dataclass(frozen=True)
class GraphErrorItem:
    code: int | None
    title: str | None
    message: str | None
    details: str | None


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    wa_id: str
    profile_name: str | None
    timestamp: int
    type: str
    context_id: str | None
    reply_payload: str | None
    reply_title: str | None
    text_body: str | None
    content_json: str
    errors: list[GraphErrorItem]
    phone_number_id: str | None
    waba_id: str | None


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str
    status: str
    timestamp: int
    recipient_id: str | None
    callback_data: str | None
    conversation_id: str | None
    conversation_expires_at: int | None
    conversation_origin: str | None
    pricing_json: str | None
    errors: list[GraphErrorItem]
    phone_number_id: str | None


@dataclass(frozen=True)
class EchoMessage:
    wamid: str
    wa_id: str
    timestamp: int
    type: str
    text_body: str | None
    content_json: str


@dataclass(frozen=True)
class HistoryChunk:
    phase: int | None
    chunk_order: int | None
    progress: int | None
    message_count: int
    error_code: int | None
    data_json: str


@dataclass(frozen=True)
class StateSync:
    wa_id: str | None
    action: str | None
    summary: str
    data_json: str


@dataclass(frozen=True)
class TemplateStatus:
    field: str
    event: str | None
    name: str | None
    language: str | None
    reason: str | None
    data_json: str


@dataclass(frozen=True)
class ValueErrors:
    field: str
    errors: list[GraphErrorItem]


@dataclass(frozen=True)
class BadItem:
    field: str
    path: str
    problem: str
    raw_json: str


@dataclass(frozen=True)
class OtherField:
    field: str
    value_json: str
    entry_time: int | None


Item = (
    InboundMessage
    | StatusUpdate
    | EchoMessage
    | HistoryChunk
    | StateSync
    | TemplateStatus
    | ValueErrors
    | BadItem
    | OtherField
)


@dataclass
class ParsedBody:
    items: list[Item] = field(default_factory=list)


def check_envelope(raw: bytes) -> Envelope | EnvelopeError:
    try:
        body = _decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return EnvelopeError("invalid_json", "the body is not JSON")
    if not isinstance(body, dict):
        return EnvelopeError("invalid_json", "the body is not a JSON object")
    if body.get("object") != "whatsapp_business_account":
        return EnvelopeError(
            "wrong_object", 'the body\'s "object" is not "whatsapp_business_account"'
        )
    entries = body.get("entry")
    if not isinstance(entries, list) or not entries:
        return EnvelopeError("missing_entry", 'the body has no "entry" list')
    fields: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            return EnvelopeError("bad_entry", f'entry[{i}] has no "changes" list')
        for change in entry["changes"]:
            if isinstance(change, dict) and isinstance(change.get("field"), str):
                fields.add(change["field"])
    return Envelope(frozenset(fields))


def parse_body(raw: bytes) -> ParsedBody:
    parsed = ParsedBody()
    try:
        body = _decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        parsed.items.append(BadItem("", "$", "the body is not JSON", "null"))
        return parsed
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        parsed.items.append(BadItem("", "$", 'no "entry" list', _json(body)))
        return parsed
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            parsed.items.append(BadItem("", f"entry[{i}]", "not an object", _json(entry)))
            continue
        changes = entry.get("changes")
        if not isinstance(changes, list):
            parsed.items.append(BadItem("", f"entry[{i}]", 'no "changes" list', _json(entry)))
            continue
        for j, change in enumerate(changes):
            path = f"entry[{i}].changes[{j}]"
            if not isinstance(change, dict) or not isinstance(change.get("field"), str):
                parsed.items.append(BadItem("", path, 'no "field"', _json(change)))
                continue
            _change(parsed.items, change["field"], change.get("value"), entry, path)
    return parsed


def _change(out: list[Item], fname: str, value: Any, entry: dict[str, Any], path: str) -> None:
    entry_time = _int(entry.get("time"))
    if not isinstance(value, dict):
        out.append(BadItem(fname, f"{path}.value", "not an object", _json(value)))
        return
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    pnid = _str(metadata.get("phone_number_id"))
    waba = _str(entry.get("id"))
    if fname == "messages":
        names = _profile_names(value.get("contacts"))
        for k, m in enumerate(_list(value.get("messages"))):
            out.append(_inbound(m, names, pnid, waba, fname, f"{path}.value.messages[{k}]"))
        for k, s in enumerate(_list(value.get("statuses"))):
            out.append(_status(s, pnid, fname, f"{path}.value.statuses[{k}]"))
        if value.get("errors"):
            out.append(ValueErrors(fname, _errors(value.get("errors"))))
    elif fname == "smb_message_echoes":
        for k, e in enumerate(_list(value.get("message_echoes"))):
            out.append(_echo(e, fname, f"{path}.value.message_echoes[{k}]"))
    elif fname == "history":
        for chunk in _list(value.get("history")):
            out.append(_history(chunk))
        # Media follow-ups of old history arrive as a top-level messages[]: history, never
        # live inbound (they would reopen the 24 h window).
        media = _list(value.get("messages"))
        if media:
            out.append(HistoryChunk(None, None, None, len(media), None, _json({"messages": media})))
    elif fname == "smb_app_state_sync":
        for item in _list(value.get("state_sync")):
            out.append(_state_sync(item))
    elif fname in (
        "message_template_status_update",
        "message_template_quality_update",
        "template_category_update",
    ):
        out.append(
            TemplateStatus(
                fname,
                _str(
                    value.get("event")
                    or value.get("new_quality_score")
                    or value.get("new_category")
                ),
                _str(value.get("message_template_name")),
                _str(value.get("message_template_language")),
                _str(value.get("reason")),
                _json(value),
            )
        )
    else:
        out.append(OtherField(fname, _json(value), entry_time))


def _inbound(
    m: Any, names: dict[str, str], pnid: str | None, waba: str | None, fname: str, path: str
) -> Item:
    if not isinstance(m, dict):
        return BadItem(fname, path, "not an object", _json(m))
    wamid, wa_id, ts = _str(m.get("id")), _str(m.get("from")), _int(m.get("timestamp"))
    mtype = _str(m.get("type")) or "unknown"
    if not wamid or not wa_id or ts is None:
        return BadItem(fname, path, "missing id, from or timestamp", _json(m))
    content = m.get(mtype)
    context = m.get("context") if isinstance(m.get("context"), dict) else {}
    payload = title = None
    if mtype == "button" and isinstance(content, dict):
        payload, title = _str(content.get("payload")), _str(content.get("text"))
    elif mtype == "interactive" and isinstance(content, dict):
        reply = content.get(content.get("type") or "")
        if isinstance(reply, dict):
            payload, title = _str(reply.get("id")), _str(reply.get("title"))
    return InboundMessage(
        wamid=wamid,
        wa_id=wa_id,
        profile_name=names.get(wa_id),
        timestamp=ts,
        type=mtype,
        context_id=_str(context.get("id")),
        reply_payload=payload,
        reply_title=title,
        text_body=_text_of(mtype, content),
        content_json=_json(content if content is not None else {}),
        errors=_errors(m.get("errors")),
        phone_number_id=pnid,
        waba_id=waba,
    )


def _status(s: Any, pnid: str | None, fname: str, path: str) -> Item:
    if not isinstance(s, dict):
        return BadItem(fname, path, "not an object", _json(s))
    wamid, status, ts = _str(s.get("id")), _str(s.get("status")), _int(s.get("timestamp"))
    if not wamid or not status or ts is None:
        return BadItem(fname, path, "missing id, status or timestamp", _json(s))
    conversation = s.get("conversation") if isinstance(s.get("conversation"), dict) else {}
    origin = conversation.get("origin") if isinstance(conversation.get("origin"), dict) else {}
    pricing = s.get("pricing")
    return StatusUpdate(
        wamid=wamid,
        status=status,
        timestamp=ts,
        recipient_id=_str(s.get("recipient_id")),
        callback_data=_str(s.get("biz_opaque_callback_data")),
        conversation_id=_str(conversation.get("id")),
        conversation_expires_at=_int(conversation.get("expiration_timestamp")),
        conversation_origin=_str(origin.get("type")),
        pricing_json=_json(pricing) if isinstance(pricing, dict) else None,
        errors=_errors(s.get("errors")),
        phone_number_id=pnid,
    )


def _echo(e: Any, fname: str, path: str) -> Item:
    if not isinstance(e, dict):
        return BadItem(fname, path, "not an object", _json(e))
    wamid, to, ts = _str(e.get("id")), _str(e.get("to")), _int(e.get("timestamp"))
    etype = _str(e.get("type")) or "unknown"
    if not wamid or not to or ts is None:
        return BadItem(fname, path, "missing id, to or timestamp", _json(e))
    content = e.get(etype)
    return EchoMessage(
        wamid,
        to,
        ts,
        etype,
        _text_of(etype, content),
        _json(content if content is not None else {}),
    )


def _history(chunk: Any) -> HistoryChunk:
    if not isinstance(chunk, dict):
        return HistoryChunk(None, None, None, 0, None, _json(chunk))
    errors = _errors(chunk.get("errors"))
    meta = chunk.get("metadata") if isinstance(chunk.get("metadata"), dict) else {}
    count = sum(
        len(_list(t.get("messages"))) for t in _list(chunk.get("threads")) if isinstance(t, dict)
    )
    return HistoryChunk(
        _int(meta.get("phase")),
        _int(meta.get("chunk_order")),
        _int(meta.get("progress")),
        count,
        errors[0].code if errors else None,
        _json(chunk),
    )


def _state_sync(item: Any) -> StateSync:
    if not isinstance(item, dict):
        return StateSync(None, None, "malformed item", _json(item))
    contact = item.get("contact") if isinstance(item.get("contact"), dict) else {}
    number = _str(contact.get("phone_number"))
    action = _str(item.get("action"))
    name = _str(contact.get("full_name")) or ""
    summary = f"{action or '?'} {name} {number or ''}".strip()
    return StateSync(number.lstrip("+") if number else None, action, summary, _json(item))


def _profile_names(contacts: Any) -> dict[str, str]:
    names = {}
    for c in _list(contacts):
        if isinstance(c, dict) and isinstance(c.get("profile"), dict):
            wa_id, name = _str(c.get("wa_id")), _str(c["profile"].get("name"))
            if wa_id and name:
                names[wa_id] = name
    return names


def _errors(value: Any) -> list[GraphErrorItem]:
    out = []
    for e in _list(value):
        if isinstance(e, dict):
            data = e.get("error_data") if isinstance(e.get("error_data"), dict) else {}
            out.append(
                GraphErrorItem(
                    _int(e.get("code")),
                    _str(e.get("title")),
                    _str(e.get("message")),
                    _str(data.get("details")),
                )
            )
    return out


def _text_of(mtype: str, content: Any) -> str | None:
    if not isinstance(content, dict):
        return None
    for key in _TEXT_OF.get(mtype, ()):
        if isinstance(content.get(key), str):
            return content[key]
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _json(value: Any) -> str:
    try:
        return _encoder.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return "null"
