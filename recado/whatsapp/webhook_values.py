"""Reading the values inside a webhook body, each the one strict way.

Integers are bounded where they enter (``rules/bounds.py``): a timestamp must be unix
seconds in the sane range and any other integer must fit SQLite's 64 bits, given as a JSON
integer or a string of ASCII digits (``"²".isdigit()`` is true in Python). A present but
malformed or out-of-range integer raises ``BadValue`` naming its path, which the parser
turns into a ``BadItem`` for that item alone.
"""

from __future__ import annotations

from typing import Any

from recado.rules.bounds import RANGE_TEXT, sql_int_ok, unix_ok
from recado.whatsapp.webhook_items import GraphErrorItem
from recado.whatsapp.webhook_json import to_json

# Longer than any 64-bit integer: refused before ``int()`` spends time on it (or raises, past
# Python's 4300-digit limit).
_MAX_DIGITS = 20

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


class BadValue(ValueError):
    """A present value that is malformed or out of range, at ``path``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def integer(value: Any, path: str, unix: bool = False) -> int | None:
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
    number: int = value
    if not sql_int_ok(number):
        raise BadValue(path, f"out of range: {str(number)[:40]} does not fit in 64 bits")
    if unix and not unix_ok(number):
        raise BadValue(path, f"out of range: {number} is not a unix time {RANGE_TEXT}")
    return number


def text(value: Any) -> str | None:
    """A string, or an integer Meta sometimes sends where a string id is documented."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def array(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def obj(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one (absent and malformed alike)."""
    return value if isinstance(value, dict) else {}


def as_json(value: Any) -> str:
    return to_json(value)


def graph_errors(value: Any, path: str) -> list[GraphErrorItem]:
    """Meta's ``errors`` array as items; entries that are not objects are left out."""
    out = []
    for k, e in enumerate(array(value)):
        if isinstance(e, dict):
            data = obj(e.get("error_data"))
            out.append(
                GraphErrorItem(
                    integer(e.get("code"), f"{path}[{k}].code"),
                    text(e.get("title")),
                    text(e.get("message")),
                    text(data.get("details")),
                )
            )
    return out


def text_of(mtype: str, content: Any) -> str | None:
    """The line of text a message of type ``mtype`` carries, if any."""
    if not isinstance(content, dict):
        return None
    for key in _TEXT_OF.get(mtype, ()):
        if isinstance(content.get(key), str):
            return str(content[key])
    return None
