"""Meta's template definitions as ``GET /{waba_id}/message_templates`` returns them, read into
what the checks before a send compare (docs/whatsapp-notes.md §4).

One item of the answer's ``data``::

    {"id": "1689556908129832", "name": "aviso_de_agendamento", "language": "pt_BR",
     "status": "APPROVED", "category": "UTILITY", "parameter_format": "POSITIONAL",
     "quality_score": {"score": "GREEN"},
     "components": [{"type": "HEADER", "format": "TEXT", "text": "Olá"},
                    {"type": "BODY", "text": "Olá {{1}}, seu {{2}} é em {{3}} às {{4}}."},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Sim"}]}]}

A body's parameters are its ``{{…}}`` placeholders (``{{1}}`` positional, ``{{client_name}}``
named); ``parameter_format`` says which, and when Meta leaves it out the placeholders do.
Every value is bounded; an item without a name, language or status is set aside with the
reason, and one whose components cannot be read is kept with its structure unknown (checked
for existence and status only), so one odd item never costs the others.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from recado.rules.template_check import Definition

NAME_MAX = 512
LANGUAGE_MAX = 32
WORD_MAX = 64
COMPONENTS_MAX = 65_536
PARAMS_MAX = 100
BUTTONS_MAX = 20

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]{1,64})\s*\}\}")


class MetaTemplate(msgspec.Struct, frozen=True, kw_only=True):
    template_id: str | None
    name: str
    language: str
    status: str
    category: str | None
    quality: str | None
    parameter_format: str | None  # POSITIONAL | NAMED; None when the structure is unknown
    body_params: tuple[str, ...] | None
    header_format: str | None
    header_params: int
    buttons: tuple[str, ...] | None
    components_json: str | None

    def definition(self) -> Definition:
        return Definition(
            name=self.name,
            language=self.language,
            status=self.status,
            named=None if self.parameter_format is None else self.parameter_format == "NAMED",
            body_params=self.body_params,
            header_format=self.header_format,
            header_params=self.header_params,
            buttons=self.buttons,
        )


def parse_template(item: Any) -> MetaTemplate | str:
    """One ``data`` item, or why it was set aside."""
    if not isinstance(item, dict):
        return "not an object"
    name = _text(item.get("name"), NAME_MAX)
    language = _text(item.get("language"), LANGUAGE_MAX)
    status = _word(item.get("status"))
    if not name or not language or not status:
        return "missing name, language or status"
    quality = item.get("quality_score")
    structure = _structure(item.get("components"), _word(item.get("parameter_format")))
    return MetaTemplate(
        template_id=_id(item.get("id")),
        name=name,
        language=language,
        status=status,
        category=_word(item.get("category")),
        quality=_word(quality.get("score") if isinstance(quality, dict) else quality),
        **structure,
    )


def _structure(components: Any, declared: str | None) -> dict[str, Any]:
    unknown: dict[str, Any] = {
        "parameter_format": None,
        "body_params": None,
        "header_format": None,
        "header_params": 0,
        "buttons": None,
        "components_json": None,
    }
    if not isinstance(components, list):
        return unknown
    raw = json.dumps(components, ensure_ascii=False, separators=(",", ":"))
    if len(raw) > COMPONENTS_MAX:
        return unknown
    body: tuple[str, ...] = ()
    header_format: str | None = None
    header_params = 0
    buttons: list[str] = []
    for component in components:
        if not isinstance(component, dict):
            return unknown | {"components_json": raw}
        kind = _word(component.get("type"))
        raw_text = component.get("text")
        text = raw_text if isinstance(raw_text, str) else ""
        if kind == "BODY":
            body = _placeholders(text)
        elif kind == "HEADER":
            header_format = _word(component.get("format")) or "TEXT"
            header_params = len(_placeholders(text))
        elif kind == "BUTTONS":
            listed = component.get("buttons")
            if not isinstance(listed, list) or len(listed) > BUTTONS_MAX:
                return unknown | {"components_json": raw}
            for button in listed:
                kind_of = _word(button.get("type")) if isinstance(button, dict) else None
                buttons.append(kind_of or "UNKNOWN")
    if len(body) > PARAMS_MAX:
        return unknown | {"components_json": raw}
    if declared in ("NAMED", "POSITIONAL"):
        parameter_format = declared
    else:
        # Older answers leave the format out: the placeholders tell it.
        parameter_format = "NAMED" if any(not p.isdigit() for p in body) else "POSITIONAL"
    return {
        "parameter_format": parameter_format,
        "body_params": body,
        "header_format": header_format,
        "header_params": header_params,
        "buttons": tuple(buttons),
        "components_json": raw,
    }


def _placeholders(text: str) -> tuple[str, ...]:
    """Distinct placeholders in order of first appearance (``{{1}}`` may appear twice)."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(text):
        seen.setdefault(match.group(1), None)
    return tuple(seen)


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value or len(value) > limit:
        return None
    return value


def _word(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > WORD_MAX:
        return None
    return value.upper()


def _id(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, WORD_MAX)
