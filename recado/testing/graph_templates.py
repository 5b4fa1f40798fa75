"""The Graph double's message templates, from its ``templates`` table (name → spec).

- ``GET /{version}/{waba_id}/message_templates`` lists them as Meta does: ``data`` items with
  id, name, language, status, category, ``parameter_format``, ``quality_score`` and the
  components (a BODY with ``{{1}}`` or ``{{name}}`` placeholders, an optional HEADER, the
  BUTTONS), in pages of ``limit`` with an ``after`` cursor and a ``paging.next`` URL.
- A template send is checked against the same table as the Cloud API checks it: name and
  language (132001), status (132015 paused, 132016 disabled, 132001 otherwise not approved),
  the number of body parameters (132000), named parameters (``parameter_name``, 132000 when
  they differ) and the quick-reply indices (131009).
- ``set_status`` changes a template's status and posts Meta's
  ``message_template_status_update`` webhook about it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

_LISTING_PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)/message_templates$")
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000

ErrorOf = Callable[..., dict[str, Any]]


@dataclass
class TemplateSpec:
    """One template of the double's WABA (a single language per name)."""

    language: str
    body_params: int
    buttons: int = 0
    status: str = "APPROVED"
    category: str = "UTILITY"
    quality: str = "GREEN"
    # Non-empty: a NAMED template with these parameter names (body_params is then ignored).
    param_names: tuple[str, ...] = ()
    header: str | None = None  # None, "TEXT" with a {{1}}, or IMAGE | VIDEO | DOCUMENT
    # Buttons of other kinds after the quick replies (e.g. ("URL",)).
    other_buttons: tuple[str, ...] = ()
    template_id: str = ""

    @property
    def params(self) -> int:
        return len(self.param_names) if self.param_names else self.body_params


def template_id(name: str, spec: TemplateSpec) -> str:
    return spec.template_id or str(1_000_000_000_000 + sum(map(ord, name)) * 7919)


def components(spec: TemplateSpec) -> list[dict[str, Any]]:
    names = spec.param_names or tuple(str(i) for i in range(1, spec.body_params + 1))
    out: list[dict[str, Any]] = []
    if spec.header == "TEXT":
        out.append({"type": "HEADER", "format": "TEXT", "text": "Aviso {{1}}"})
    elif spec.header:
        out.append({"type": "HEADER", "format": spec.header})
    out.append({"type": "BODY", "text": "Olá " + ", ".join(f"{{{{{n}}}}}" for n in names) + "."})
    buttons = [{"type": "QUICK_REPLY", "text": f"Opção {i + 1}"} for i in range(spec.buttons)]
    buttons += [
        {"type": kind, "text": kind.title(), "url": "https://example.test"}
        for kind in spec.other_buttons
    ]
    if buttons:
        out.append({"type": "BUTTONS", "buttons": buttons})
    return out


def listing_item(name: str, spec: TemplateSpec) -> dict[str, Any]:
    return {
        "id": template_id(name, spec),
        "name": name,
        "language": spec.language,
        "status": spec.status,
        "category": spec.category,
        "parameter_format": "NAMED" if spec.param_names else "POSITIONAL",
        "quality_score": {"score": spec.quality, "date": 1764547200},
        "components": components(spec),
    }


def answer_listing(
    templates: Mapping[str, TemplateSpec],
    token: str,
    waba_id: str,
    method: str,
    target: str,
    headers: dict[str, str],
    error: ErrorOf,
    base_url: str,
) -> tuple[int, dict[str, Any]] | None:
    """The answer to a ``message_templates`` request, or None when it is not one."""
    path, _, query = target.partition("?")
    match = _LISTING_PATH.match(path)
    if method != "GET" or not match:
        return None
    if headers.get("authorization", "") != f"Bearer {token}":
        return 401, error(190, "Invalid OAuth access token - Cannot parse access token", 467)
    if match.group(2) != waba_id:
        return 400, error(
            100,
            f"Unsupported get request. Object with ID '{match.group(2)}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation",
        )
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    try:
        limit = min(max(int(args.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
        start = int(base64.urlsafe_b64decode(args["after"]).decode()) if "after" in args else 0
    except (ValueError, UnicodeDecodeError):
        return 400, error(100, "(#100) Invalid parameter: after or limit")
    items = [listing_item(n, s) for n, s in sorted(templates.items())]
    page = items[start : start + limit]
    answer: dict[str, Any] = {"data": page}
    if page:
        cursors = {"before": _cursor(start), "after": _cursor(start + len(page) - 1 + 1)}
        answer["paging"] = {"cursors": cursors}
        if start + limit < len(items):
            # Meta's next URL carries the query (and would carry a token given in the query).
            more = {k: v for k, v in args.items() if k != "after"} | {"after": cursors["after"]}
            answer["paging"]["next"] = f"{base_url}{path}?{urlencode(more)}"
    return 200, answer


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode()


def check_template_send(
    templates: Mapping[str, TemplateSpec], template: Any, error: ErrorOf
) -> dict[str, Any] | None:
    """The Graph error a send of ``template`` gets, or None when it goes out."""
    if not isinstance(template, dict) or not isinstance(template.get("name"), str):
        return error(131008, "(#131008) Required parameter is missing: template.name")
    spec = templates.get(template["name"])
    language = (template.get("language") or {}).get("code")
    if spec is None or language != spec.language:
        return error(
            132001,
            "(#132001) Template name does not exist in the translation",
            details=f"template name ({template['name']}) does not exist in {language}",
        )
    if spec.status == "PAUSED":
        return error(132015, "(#132015) Template is paused", details="Template is paused")
    if spec.status == "DISABLED":
        return error(132016, "(#132016) Template is disabled", details="Template is disabled")
    if spec.status != "APPROVED":
        return error(
            132001,
            "(#132001) Template name does not exist in the translation",
            details=f"template {template['name']} is {spec.status}",
        )
    parameters: list[Any] = []
    for component in template.get("components") or []:
        if component.get("type") == "body":
            parameters = list(component.get("parameters") or [])
        if component.get("type") == "button" and component.get("sub_type") == "quick_reply":
            index = int(component.get("index", -1))
            if not 0 <= index < spec.buttons:
                return error(131009, "(#131009) Parameter value is not valid: index")
    if len(parameters) != spec.params:
        return error(
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            details=f"body: number of localizable_params ({len(parameters)}) does not match "
            f"the expected number of params ({spec.params})",
        )
    sent_names = [p.get("parameter_name") for p in parameters if isinstance(p, dict)]
    if spec.param_names and sorted(map(str, sent_names)) != sorted(spec.param_names):
        return error(
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            details=f"body: parameter names {sent_names} do not match {list(spec.param_names)}",
        )
    if not spec.param_names and any(n is not None for n in sent_names):
        return error(100, "(#100) Invalid parameter: parameter_name on a positional template")
    return None


def status_change(name: str, spec: TemplateSpec, event: str, reason: str | None) -> dict[str, Any]:
    """The ``changes[]`` entry Meta sends when a template's status changes
    (docs/whatsapp-notes.md §4)."""
    return {
        "field": "message_template_status_update",
        "value": {
            "event": event,
            "message_template_id": int(template_id(name, spec)),
            "message_template_name": name,
            "message_template_language": spec.language,
            "reason": reason,
            "message_template_category": spec.category,
        },
    }
