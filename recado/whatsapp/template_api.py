"""Reading the WABA's templates from the Graph API: ``GET /{version}/{waba_id}/
message_templates``, page after page (docs/whatsapp-notes.md §4).

Paging follows the ``after`` cursor on our own base URL, never the ``paging.next`` URL the
answer carries: the bearer token goes only where the configuration points. Every answer is
bounded (size, depth, pages); whatever Meta says is redacted where it enters, as for sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from recado.redaction import redact, redact_json
from recado.rules import graph_errors
from recado.rules.json_depth import depth_ok
from recado.whatsapp.template_defs import MetaTemplate, parse_template

FIELDS = "id,name,status,category,language,components,parameter_format,quality_score"
PAGE_LIMIT = 100
MAX_PAGES = 50
MAX_ANSWER_BYTES = 4 * 1024 * 1024
TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Fetched:
    templates: list[MetaTemplate]
    # Items that could not be read: (position in the listing, why).
    set_aside: list[tuple[int, str]] = field(default_factory=list)
    pages: int = 1


@dataclass(frozen=True)
class FetchFailed:
    code: str  # graph_<code> | http_<status> | transport | bad_answer | too_many_pages
    pt_br: str
    en: str
    http_status: int | None = None
    graph_code: int | None = None
    auth: bool = False  # Meta refused the token itself (190 and its kin)


FetchResult = Fetched | FetchFailed


async def fetch_templates(
    client: httpx.AsyncClient, api_version: str, waba_id: str, token: str
) -> FetchResult:
    """Every template of the WABA, or why they could not be read."""
    path = f"/{api_version}/{waba_id}/message_templates"
    headers = {"Authorization": f"Bearer {token}"}
    templates: list[MetaTemplate] = []
    set_aside: list[tuple[int, str]] = []
    after: str | None = None
    seen: set[str] = set()
    for page in range(1, MAX_PAGES + 1):
        params = {"fields": FIELDS, "limit": str(PAGE_LIMIT)}
        if after:
            params["after"] = after
        answer = await _get(client, path, params, headers)
        if isinstance(answer, FetchFailed):
            return answer
        data = answer.get("data")
        if not isinstance(data, list):
            return _bad_answer('the answer has no "data" list')
        for item in data:
            parsed = parse_template(item)
            if isinstance(parsed, str):
                set_aside.append((len(templates) + len(set_aside), parsed))
            else:
                templates.append(parsed)
        after = _next_cursor(answer)
        if after is None:
            return Fetched(templates, set_aside, page)
        if after in seen:
            return _bad_answer("the paging cursor repeats")
        seen.add(after)
    return FetchFailed(
        "too_many_pages",
        f"A Meta listou mais de {MAX_PAGES * PAGE_LIMIT} modelos; a leitura parou.",
        f"Meta listed more than {MAX_PAGES * PAGE_LIMIT} templates; the reading stopped.",
    )


def _next_cursor(answer: dict[str, Any]) -> str | None:
    paging = answer.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and 0 < len(after) <= 1024 else None


async def _get(
    client: httpx.AsyncClient, path: str, params: dict[str, str], headers: dict[str, str]
) -> dict[str, Any] | FetchFailed:
    try:
        async with client.stream("GET", path, params=params, headers=headers) as response:
            raw = bytearray()
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) > MAX_ANSWER_BYTES:
                    return _bad_answer(f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
    except httpx.HTTPError as exc:
        detail = redact(f"{type(exc).__name__}: {exc}")[:300]
        return FetchFailed(
            "transport",
            f"Não foi possível falar com a Meta ({detail}).",
            f"Could not reach Meta ({detail}).",
        )
    answer: Any = None
    if depth_ok(bytes(raw)):
        try:
            answer = redact_json(json.loads(raw))
        except (ValueError, RecursionError):
            answer = None
    if response.is_success:
        if not isinstance(answer, dict):
            return _bad_answer(f"HTTP {response.status_code} without a JSON object")
        return answer
    return _refused(response.status_code, answer)


def _refused(status: int, answer: Any) -> FetchFailed:
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    message = redact(str(error.get("message") or ""))[:300]
    c = graph_errors.classify(status, code, subcode)
    if c.kind == graph_errors.AUTH:
        pt, en = c.pt_br, c.en
    else:
        label = f"código {code}" if code is not None else "sem código"
        label_en = f"code {code}" if code is not None else "no code"
        said = f": {message}" if message else ""
        pt = f"A Meta recusou a leitura dos modelos (HTTP {status}, {label}){said}."
        en = f"Meta refused to list the templates (HTTP {status}, {label_en}){said}."
    return FetchFailed(c.reason_code, pt, en, status, code, c.kind == graph_errors.AUTH)


def _bad_answer(why: str) -> FetchFailed:
    return FetchFailed(
        "bad_answer",
        f"A Meta respondeu algo que não é uma lista de modelos ({why}).",
        f"Meta answered something that is not a list of templates ({why}).",
    )
