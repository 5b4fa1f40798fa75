"""What the Graph API double checks in a send and how it answers, as the Cloud API does: the
token, ``to``, a text's length, a template's name, language, status, parameters and buttons
(``graph_templates``); and the Graph error objects it answers with (docs/whatsapp-notes.md §4).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from recado.testing.graph_templates import TemplateSpec, check_template_send

_TO = re.compile(r"^\+?[1-9]\d{7,14}$")
TEXT_MAX = 4096


def validate_send(
    token: str,
    templates: Mapping[str, TemplateSpec],
    headers: dict[str, str],
    body: Any,
    next_wamid: Callable[[], str],
) -> tuple[int, dict[str, Any]]:
    """The status and body the Cloud API would answer to this ``/messages`` request."""
    auth = headers.get("authorization", "")
    if auth != f"Bearer {token}":
        return 401, graph_error(190, "Invalid OAuth access token - Cannot parse access token", 467)
    if not isinstance(body, dict):
        return 400, graph_error(100, "Invalid parameter: body is not a JSON object")
    if body.get("messaging_product") != "whatsapp":
        return 400, graph_error(100, "(#100) The parameter messaging_product is required.")
    to = body.get("to")
    if not isinstance(to, str) or not _TO.match(to):
        return 400, graph_error(100, "(#100) Invalid parameter: to")
    kind = body.get("type", "text")
    if kind == "text":
        text = body.get("text")
        text_body = text.get("body") if isinstance(text, dict) else None
        if not isinstance(text_body, str) or not text_body:
            return 400, graph_error(131008, "(#131008) Required parameter is missing")
        if len(text_body) > TEXT_MAX:
            return 400, graph_error(
                100, "(#100) Param text['body'] must be at most 4096 characters long."
            )
    elif kind == "template":
        problem = check_template(templates, body.get("template"))
        if problem is not None:
            return 400, problem
    else:
        return 400, graph_error(100, f"(#100) Unsupported message type {kind}")
    answer: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
        "messages": [{"id": next_wamid()}],
    }
    if kind == "template":
        answer["messages"][0]["message_status"] = "accepted"
    return 200, answer


def check_template(templates: Mapping[str, TemplateSpec], template: Any) -> dict[str, Any] | None:
    """The Graph error for a template the account does not have as sent, or None."""
    return check_template_send(templates, template, graph_error)


def graph_error(
    code: int,
    message: str,
    subcode: int | None = None,
    is_transient: bool | None = None,
    details: str | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or message},
        "fbtrace_id": f"Double{random.randrange(10**8):08d}",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    return {"error": error}
