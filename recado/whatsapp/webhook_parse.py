"""Meta webhook bodies (WHATSAPP.md §3-4, §11) → a flat, ordered list of typed items.

Two steps, because the HTTP handler must commit before it parses anything into rows:

- ``check_envelope(raw)``: the cheap check run before the commit (JSON object,
  ``object == "whatsapp_business_account"``, ``entry`` a list of objects with ``changes``).
- ``parse_body(raw)``: run by the webhook processor after the commit. Every entry, change and
  array item becomes one item, in body order. A malformed item becomes a ``BadItem`` instead
  of failing the whole body; unknown keys are ignored (Meta adds fields) and unknown
  ``field`` values are kept verbatim as ``OtherField``.

Integers are bounded where they enter (``rules/bounds.py``): a timestamp must be unix
seconds in the sane range and any other integer must fit SQLite's 64 bits, given as a JSON
integer or a string of ASCII digits (``"²".isdigit()`` is true in Python). An item with a
present but malformed or out-of-range integer is a ``BadItem`` naming the path and the
problem; its neighbours are parsed as usual.

Both functions return values for every input and never raise on data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from recado.rules.bounds import RANGE_TEXT, sql_int_ok, unix_ok

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
    path: str = ""
    raw_json: str = "null"


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
    path: str = ""
    raw_json: str = "null"


@dataclass(frozen=True)
class EchoMessage:
    wamid: str
    wa_id: str
    timestamp: int
    type: str
    text_body: str | None
    content_json: str
    path: str = ""
    raw_json: str = "null"


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
    if not isinstance(value, dict):
        out.append(BadItem(fname, f"{path}.value", "not an object", _json(value)))
        return
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    pnid = _str(metadata.get("phone_number_id"))
    waba = _str(entry.get("id"))
    vpath = f"{path}.value"
    if fname == "messages":
        names = _profile_names(value.get("contacts"))
        for k, m in enumerate(_list(value.get("messages"))):
            p = f"{vpath}.messages[{k}]"
            out.append(_guarded(fname, p, m, lambda m=m, p=p: _inbound(m, names, pnid, waba, p)))
        for k, s in enumerate(_list(value.get("statuses"))):
            p = f"{vpath}.statuses[{k}]"
            out.append(_guarded(fname, p, s, lambda s=s, p=p: _status(s, pnid, p)))
        if value.get("errors"):
            errors = value.get("errors")
            out.append(
                _guarded(
                    fname,
                    f"{vpath}.errors",
                    errors,
                    lambda: ValueErrors(fname, _errors(errors, f"{vpath}.errors")),
                )
            )
    elif fname == "smb_message_echoes":
        for k, e in enumerate(_list(value.get("message_echoes"))):
            p = f"{vpath}.message_echoes[{k}]"
            out.append(_guarded(fname, p, e, lambda e=e, p=p: _echo(e, p)))
    elif fname == "history":
        for k, chunk in enumerate(_list(value.get("history"))):
            p = f"{vpath}.history[{k}]"
            out.append(_guarded(fname, p, chunk, lambda c=chunk, p=p: _history(c, p)))
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
        i = path.split(".", 1)[0]
        out.append(
            _guarded(
                fname,
                f"{i}.time",
                value,
                lambda: OtherField(fname, _json(value), _int(entry.get("time"), f"{i}.time", True)),
            )
        )


class BadValue(ValueError):
    """A present value that is malformed or out of range, at ``path``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _guarded(fname: str, path: str, raw: Any, build: Callable[[], Item]) -> Item:
    """The item ``build`` makes, or a BadItem naming the value that made it impossible."""
    try:
        return build()
    except BadValue as exc:
        return BadItem(fname, exc.path, exc.problem, _json(raw))


def _inbound(m: Any, names: dict[str, str], pnid: str | None, waba: str | None, path: str) -> Item:
    if not isinstance(m, dict):
        return BadItem("messages", path, "not an object", _json(m))
    wamid, wa_id = _str(m.get("id")), _str(m.get("from"))
    ts = _int(m.get("timestamp"), f"{path}.timestamp", unix=True)
    mtype = _str(m.get("type")) or "unknown"
    if not wamid or not wa_id or ts is None:
        return BadItem("messages", path, "missing id, from or timestamp", _json(m))
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
        errors=_errors(m.get("errors"), f"{path}.errors"),
        phone_number_id=pnid,
        waba_id=waba,
        path=path,
        raw_json=_json(m),
    )


def _status(s: Any, pnid: str | None, path: str) -> Item:
    if not isinstance(s, dict):
        return BadItem("messages", path, "not an object", _json(s))
    wamid, status = _str(s.get("id")), _str(s.get("status"))
    ts = _int(s.get("timestamp"), f"{path}.timestamp", unix=True)
    if not wamid or not status or ts is None:
        return BadItem("messages", path, "missing id, status or timestamp", _json(s))
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
        conversation_expires_at=_int(
            conversation.get("expiration_timestamp"),
            f"{path}.conversation.expiration_timestamp",
            unix=True,
        ),
        conversation_origin=_str(origin.get("type")),
        pricing_json=_json(pricing) if isinstance(pricing, dict) else None,
        errors=_errors(s.get("errors"), f"{path}.errors"),
        phone_number_id=pnid,
        path=path,
        raw_json=_json(s),
    )


def _echo(e: Any, path: str) -> Item:
    fname = "smb_message_echoes"
    if not isinstance(e, dict):
        return BadItem(fname, path, "not an object", _json(e))
    wamid, to = _str(e.get("id")), _str(e.get("to"))
    ts = _int(e.get("timestamp"), f"{path}.timestamp", unix=True)
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
        path,
        _json(e),
    )


def _history(chunk: Any, path: str) -> HistoryChunk:
    if not isinstance(chunk, dict):
        return HistoryChunk(None, None, None, 0, None, _json(chunk))
    errors = _errors(chunk.get("errors"), f"{path}.errors")
    meta = chunk.get("metadata") if isinstance(chunk.get("metadata"), dict) else {}
    count = sum(
        len(_list(t.get("messages"))) for t in _list(chunk.get("threads")) if isinstance(t, dict)
    )
    return HistoryChunk(
        _int(meta.get("phase"), f"{path}.metadata.phase"),
        _int(meta.get("chunk_order"), f"{path}.metadata.chunk_order"),
        _int(meta.get("progress"), f"{path}.metadata.progress"),
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


def _errors(value: Any, path: str) -> list[GraphErrorItem]:
    out = []
    for k, e in enumerate(_list(value)):
        if isinstance(e, dict):
            data = e.get("error_data") if isinstance(e.get("error_data"), dict) else {}
            out.append(
                GraphErrorItem(
                    _int(e.get("code"), f"{path}[{k}].code"),
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


# Longer than any 64-bit integer: refused before ``int()`` spends time on it (or raises, past
# Python's 4300-digit limit).
_MAX_DIGITS = 20


def _int(value: Any, path: str, unix: bool = False) -> int | None:
    """None when absent; the integer when it is a JSON integer or a string of ASCII digits
    inside the bounds (unix seconds when ``unix``); BadValue otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadValue(path, f"not an integer ({type(value).__name__})")
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise BadValue(path, f"not an integer: {value[:40]!r}")
        if len(value) > _MAX_DIGITS:
            raise BadValue(path, f"out of range: {len(value)} digits")
        value = int(value)
    if not sql_int_ok(value):
        raise BadValue(path, f"out of range: {str(value)[:40]} does not fit in 64 bits")
    if unix and not unix_ok(value):
        raise BadValue(path, f"out of range: {value} is not a unix time {RANGE_TEXT}")
    return value


def _json(value: Any) -> str:
    try:
        return _encoder.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return "null"
