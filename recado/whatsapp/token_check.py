"""Does Meta accept the configured access token right now: one read-only
``GET /{version}/{phone_number_id}?fields=id`` with it (the cheapest call that needs the
token and sends nothing to anyone), for the incident page's "reconnect WhatsApp".

The verdict is ``accepted``, ``refused`` (Meta answered with an auth error: 190, 102, 0 or an
HTTP 401) or ``unknown`` (no answer, a 5xx, an answer that says neither): only ``accepted``
may lift the sending pause that a refused token set. Whatever Meta says is redacted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from recado.redaction import redact
from recado.rules.json_depth import depth_ok

TIMEOUT_S = 5.0
AUTH_CODES = (190, 102, 0)
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class TokenVerdict:
    verdict: str  # accepted | refused | unknown
    http_status: int | None
    graph_code: int | None
    detail: str  # English, for logs and the JSON answer


async def check_token(
    base_url: str, api_version: str, phone_number_id: str, token: str
) -> TokenVerdict:
    path = f"{base_url.rstrip('/')}/{api_version}/{phone_number_id}"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as client:
            response = await client.get(
                path, params={"fields": "id"}, headers={"Authorization": f"Bearer {token}"}
            )
    except httpx.HTTPError as exc:
        said = redact(f"{type(exc).__name__}: {exc}")[:200]
        return TokenVerdict("unknown", None, None, f"Meta could not be reached ({said})")
    code = _graph_code(response.content)
    status = response.status_code
    if response.is_success:
        return TokenVerdict("accepted", status, None, "Meta accepted the access token")
    if code in AUTH_CODES or status == 401:
        return TokenVerdict(
            "refused", status, code, f"Meta refused the access token (HTTP {status}, code {code})"
        )
    return TokenVerdict(
        "unknown", status, code, f"Meta's answer says nothing of the token (HTTP {status})"
    )


def _graph_code(raw: bytes) -> int | None:
    if len(raw) > MAX_ANSWER_BYTES or not depth_ok(raw):
        return None
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    error = answer.get("error") if isinstance(answer, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None
