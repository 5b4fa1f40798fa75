"""Meta webhook bodies (docs/whatsapp-notes.md §2-3) → a flat, ordered list of typed items.

Two steps, because the HTTP handler must commit before it parses anything into rows:

- ``check_envelope(raw)`` (``webhook_envelope``): the cheap check run before the commit.
- ``parse_body(raw)``: run by the webhook processor after the commit. Every entry, change and
  array item becomes one item (``webhook_items``), in body order. A malformed item becomes a
  ``BadItem`` instead of failing the whole body: a malformed entry or change, a value of the
  wrong type anywhere, a value msgspec cannot hold (``webhook_json``), anything that raises
  while one item is read. Unknown keys are ignored (Meta adds fields) and unknown ``field``
  values are kept verbatim as ``OtherField``. The items of each field
  are read by ``webhook_messages`` and ``webhook_account``; the bounds on their integers are
  in ``webhook_values``.

Both functions return values for every input and never raise on data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from recado.whatsapp import webhook_account as account
from recado.whatsapp import webhook_messages as messages
from recado.whatsapp.webhook_envelope import Envelope, EnvelopeError, check_envelope
from recado.whatsapp.webhook_items import (
    BadItem,
    EchoMessage,
    GraphErrorItem,
    HistoryChunk,
    InboundMessage,
    Item,
    OtherField,
    ParsedBody,
    StateSync,
    StatusUpdate,
    TemplateStatus,
    ValueErrors,
)
from recado.whatsapp.webhook_json import NotJson, decode, find_unreadable
from recado.whatsapp.webhook_values import (
    BadValue,
    array,
    as_json,
    graph_errors,
    integer,
    obj,
    text,
)

__all__ = [
    "BadItem",
    "EchoMessage",
    "Envelope",
    "EnvelopeError",
    "GraphErrorItem",
    "HistoryChunk",
    "InboundMessage",
    "Item",
    "OtherField",
    "ParsedBody",
    "StateSync",
    "StatusUpdate",
    "TemplateStatus",
    "ValueErrors",
    "check_envelope",
    "parse_body",
]


def parse_body(raw: bytes) -> ParsedBody:
    parsed = ParsedBody()
    try:
        body = decode(raw)
    except NotJson:
        parsed.items.append(BadItem("", "$", "the body is not JSON", "null"))
        return parsed
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        parsed.items.append(BadItem("", "$", 'no "entry" list', as_json(body)))
        return parsed
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            parsed.items.append(BadItem("", f"entry[{i}]", "not an object", as_json(entry)))
            continue
        changes = entry.get("changes")
        if not isinstance(changes, list):
            parsed.items.append(BadItem("", f"entry[{i}]", 'no "changes" list', as_json(entry)))
            continue
        for j, change in enumerate(changes):
            path = f"entry[{i}].changes[{j}]"
            if not isinstance(change, dict) or not isinstance(change.get("field"), str):
                parsed.items.append(BadItem("", path, 'no "field"', as_json(change)))
                continue
            fname = change["field"]
            out: list[Item] = []
            try:
                _change(out, fname, change.get("value"), entry, path)
            except Exception as exc:
                # Every item is built under its own guard; this is for the change's own
                # reading, so even a bug there costs one change, never the body.
                out.append(BadItem(fname, path, _unexpected(exc), as_json(change)))
            parsed.items.extend(out)
    return parsed


def _change(out: list[Item], fname: str, value: Any, entry: dict[str, Any], path: str) -> None:
    if not isinstance(value, dict):
        out.append(BadItem(fname, f"{path}.value", "not an object", as_json(value)))
        return
    pnid = text(obj(value.get("metadata")).get("phone_number_id"))
    waba = text(entry.get("id"))
    vpath = f"{path}.value"
    if fname == "messages":
        names = _or_empty(lambda: messages.profile_names(value.get("contacts")))
        for k, m in enumerate(array(value.get("messages"))):
            p = f"{vpath}.messages[{k}]"
            out.append(_guarded(fname, p, m, partial(messages.inbound, m, names, pnid, waba, p)))
        for k, s in enumerate(array(value.get("statuses"))):
            p = f"{vpath}.statuses[{k}]"
            out.append(_guarded(fname, p, s, partial(messages.status, s, pnid, p)))
        if value.get("errors"):
            errors = value.get("errors")
            epath = f"{vpath}.errors"
            out.append(
                _guarded(
                    fname, epath, errors, lambda: ValueErrors(fname, graph_errors(errors, epath))
                )
            )
    elif fname == account.ECHOES:
        for k, e in enumerate(array(value.get("message_echoes"))):
            p = f"{vpath}.message_echoes[{k}]"
            out.append(_guarded(fname, p, e, partial(account.echo, e, p)))
    elif fname == "history":
        for k, chunk in enumerate(array(value.get("history"))):
            p = f"{vpath}.history[{k}]"
            out.append(_guarded(fname, p, chunk, partial(account.history, chunk, p)))
        media = array(value.get("messages"))
        if media:
            p = f"{vpath}.messages"
            out.append(_guarded(fname, p, media, partial(account.history_media, media)))
    elif fname == "smb_app_state_sync":
        for k, item in enumerate(array(value.get("state_sync"))):
            p = f"{vpath}.state_sync[{k}]"
            out.append(_guarded(fname, p, item, partial(account.state_sync, item)))
    elif fname in account.TEMPLATE_FIELDS:
        out.append(_guarded(fname, vpath, value, partial(account.template_status, fname, value)))
    else:
        i = path.split(".", 1)[0]
        out.append(
            _guarded(
                fname,
                vpath,
                value,
                lambda: OtherField(
                    fname, as_json(value), integer(entry.get("time"), f"{i}.time", True)
                ),
            )
        )


def _guarded(fname: str, path: str, raw: Any, build: Callable[[], Item]) -> Item:
    """The item ``build`` makes, or a BadItem naming what made it impossible: a value no
    part of recado can hold (``webhook_json``), a malformed or out-of-range value, or
    anything else that raised while reading it (a list where a key was expected ...)."""
    unreadable = find_unreadable(raw, path)
    if unreadable is not None:
        where, marker = unreadable
        return BadItem(fname, where, f"unreadable value: {marker.what}", as_json(raw))
    try:
        return build()
    except BadValue as exc:
        return BadItem(fname, exc.path, exc.problem, as_json(raw))
    except Exception as exc:
        return BadItem(fname, path, _unexpected(exc), as_json(raw))


def _or_empty(read: Callable[[], dict[str, str]]) -> dict[str, str]:
    """What ``read`` finds, or nothing: the change's contacts only add profile names."""
    try:
        return read()
    except Exception:
        return {}


def _unexpected(exc: Exception) -> str:
    return f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"
