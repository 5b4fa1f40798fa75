"""Decoding a webhook body that is valid JSON even where msgspec refuses it.

msgspec refuses a whole document for one value it cannot hold: an integer past its 64-bit
range ("Integer value out of range"), a number past a float's range (``1e400``), a string
with a lone UTF-16 surrogate (``"\\ud800"``). Each is valid JSON, and one such value in one
item must not cost the body its other items (docs/reference.md §4.2). So msgspec decodes
first (fast, every real body), and only when it refuses, Python's ``json`` decodes again
with each such value replaced by an ``Unreadable`` naming it; the parser sets aside the
item that holds one (``webhook_parse``). What is not JSON at all (bad syntax, invalid
UTF-8, ``NaN``) stays refused.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

__all__ = ["NotJson", "Unreadable", "decode", "find_unreadable", "to_json"]

_decoder = msgspec.json.Decoder()

# Longer than any 64-bit integer: kept as text, before ``int()`` spends time on it (or
# raises, past Python's 4300-digit limit).
_MAX_DIGITS = 20


class NotJson(ValueError):
    """The body is not JSON at all."""


class Unreadable:
    """A valid JSON value no part of recado can hold, in place of that value."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"Unreadable({self.what!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unreadable) and other.what == self.what

    def __hash__(self) -> int:
        return hash(self.what)


def decode(raw: bytes) -> Any:
    """The decoded body; NotJson when it is not JSON at all."""
    try:
        return _decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        raise NotJson(str(exc)) from exc
    return _without_surrogates(value)


def _integer(digits: str) -> int | Unreadable:
    if len(digits.lstrip("-")) > _MAX_DIGITS:
        return Unreadable(f"an integer of {len(digits.lstrip('-'))} digits")
    return int(digits)


def _number(text: str) -> float | Unreadable:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return Unreadable(f"a number out of range ({text[:40]})")
    return value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _lone(text: str) -> Unreadable:
    shown = text.encode("utf-8", "backslashreplace").decode("ascii", "replace")
    return Unreadable(f"text with a lone surrogate ({shown[:40]})")


def _without_surrogates(value: Any) -> Any:
    """``value`` with every string holding a lone surrogate replaced (a key: its value),
    in place; iterative, so no body nests deep enough to matter."""
    if isinstance(value, str):
        return _lone(value) if _has_surrogate(value) else value
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in [k for k in node if _has_surrogate(k)]:
                shown = key.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                node.pop(key)
                node[shown] = _lone(key)
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            continue
        for k, v in items:
            if isinstance(v, str) and _has_surrogate(v):
                node[k] = _lone(v)
            elif isinstance(v, dict | list):
                stack.append(v)
    return value


def find_unreadable(value: Any, path: str) -> tuple[str, Unreadable] | None:
    """The path and marker of the first ``Unreadable`` inside ``value``, if any."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, Unreadable):
            return where, node
        if isinstance(node, dict):
            stack.extend((f"{where}.{k}", v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None


def _shown(value: Any) -> Any:
    if isinstance(value, Unreadable):
        return f"<unreadable: {value.what}>"
    raise TypeError(f"{type(value).__name__} is not JSON")


_encoder = msgspec.json.Encoder(enc_hook=_shown)


def to_json(value: Any) -> str:
    """``value`` as JSON text, an unreadable value shown as what it was; ``null`` for
    what cannot be encoded at all."""
    try:
        return _encoder.encode(value).decode()
    except (TypeError, msgspec.EncodeError, RecursionError):
        return "null"
