"""The Graph calls of connecting a WhatsApp number (WHATSAPP.md §9-§10): the code exchange,
``debug_token``, the WABA's numbers, the app's subscription, ``/register`` and the
coexistence syncs; each answer told apart as data or a failure with Meta's code.

What Meta answers is redacted where it enters (``recado.redaction``), as the send client
does: an echo of a token or a code never reaches the connection's history. The tokens go in
headers (and, where Graph wants them, in query strings, which the log redaction hides);
nothing here logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from recado.redaction import add_secret, redact, redact_json
from recado.rules.json_depth import depth_ok

PHONE_FIELDS = "id,display_phone_number,verified_name,quality_rating,is_on_biz_app,platform_type"
HEALTH_FIELDS = "display_phone_number,verified_name,quality_rating"
SYNC_TYPES = ("smb_app_state_sync", "history")


@dataclass(frozen=True)
class Ok:
    data: dict[str, Any]
    http_status: int = 200


@dataclass(frozen=True)
class Failed:
    """No usable answer: Meta's error (``code``/``subcode``), a bare HTTP status, or no answer
    at all (``http_status`` None: the connection failed or timed out)."""

    http_status: int | None
    code: int | None
    subcode: int | None
    message: str
    transient: bool
    answer: Any = field(default=None, repr=False)

    @property
    def token_dead(self) -> bool:
        """190 (and WhatsApp's 0, 102): the token can no longer be used (§10)."""
        return self.code in (190, 102, 0) and self.http_status is not None


Answer = Ok | Failed


class SignupGraph:
    def __init__(self, base_url: str, api_version: str, *, timeout_s: float = 10.0) -> None:
        self.version = api_version
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_s, connect=5.0),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def exchange_code(self, app_id: str, app_secret: str, code: str) -> Answer:
        return await self._call(
            "GET",
            f"/{self.version}/oauth/access_token",
            params={"client_id": app_id, "client_secret": app_secret, "code": code},
            keep="access_token",
        )

    async def debug_token(self, token: str, app_id: str, app_secret: str) -> Answer:
        return await self._call(
            "GET",
            f"/{self.version}/debug_token",
            params={"input_token": token, "access_token": f"{app_id}|{app_secret}"},
        )

    async def phone_numbers(self, waba_id: str, token: str) -> Answer:
        return await self._call(
            "GET",
            f"/{self.version}/{waba_id}/phone_numbers",
            token=token,
            params={"fields": PHONE_FIELDS},
        )

    async def phone_number(self, phone_number_id: str, token: str) -> Answer:
        return await self._call(
            "GET",
            f"/{self.version}/{phone_number_id}",
            token=token,
            params={"fields": HEALTH_FIELDS},
        )

    async def subscribe(
        self, waba_id: str, token: str, override: tuple[str, str] | None = None
    ) -> Answer:
        """The plain subscription, or (``override`` = (uri, verify token)) the per-WABA
        callback override, which Meta refuses unless the plain one is in place."""
        body = None
        if override is not None:
            body = {"override_callback_uri": override[0], "verify_token": override[1]}
        return await self._call(
            "POST", f"/{self.version}/{waba_id}/subscribed_apps", token=token, body=body
        )

    async def unsubscribe(self, waba_id: str, token: str) -> Answer:
        return await self._call("DELETE", f"/{self.version}/{waba_id}/subscribed_apps", token=token)

    async def register(self, phone_number_id: str, token: str, pin: str) -> Answer:
        return await self._call(
            "POST",
            f"/{self.version}/{phone_number_id}/register",
            token=token,
            body={"messaging_product": "whatsapp", "pin": pin},
        )

    async def smb_app_data(self, phone_number_id: str, token: str, sync_type: str) -> Answer:
        return await self._call(
            "POST",
            f"/{self.version}/{phone_number_id}/smb_app_data",
            token=token,
            body={"messaging_product": "whatsapp", "sync_type": sync_type},
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        keep: str | None = None,
    ) -> Answer:
        """``keep`` names the one field of a success that is a secret we asked for (the
        token of the exchange): it is registered for redaction and handed back as is, while
        everything else Meta said is redacted."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._client.request(
                method, path, params=params, json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            return Failed(None, None, None, redact(f"{type(exc).__name__}: {exc}"), True)
        kept = _secret_field(response, keep) if keep and response.is_success else None
        text = redact(response.text)
        try:
            answer = redact_json(json.loads(text)) if depth_ok(response.content) else None
        except (ValueError, RecursionError):
            answer = None
        if response.is_success and isinstance(answer, dict):
            if keep and kept:
                answer[keep] = kept
            return Ok(answer, response.status_code)
        error = answer.get("error") if isinstance(answer, dict) else None
        status = response.status_code
        if not isinstance(error, dict):
            detail = f"HTTP {status}" + (f": {text[:200]}" if text else "")
            return Failed(status, None, None, detail, status >= 500 or status == 429, answer)
        code = error.get("code") if isinstance(error.get("code"), int) else None
        subcode = error.get("error_subcode")
        subcode = subcode if isinstance(subcode, int) else None
        flagged = error.get("is_transient")
        transient = flagged if isinstance(flagged, bool) else status >= 500 or status == 429
        if code in (1, 2, 4, 17, 32, 80007, 130429, 131016):
            transient = True  # Meta's own "try again later" codes (throttling, unavailable)
        message = str(error.get("error_user_msg") or error.get("message") or f"HTTP {status}")
        return Failed(status, code, subcode, message[:500], transient, answer)


def _secret_field(response: httpx.Response, name: str) -> str | None:
    try:
        raw = json.loads(response.text) if depth_ok(response.content) else None
    except (ValueError, RecursionError):
        return None
    value = raw.get(name) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        return None
    add_secret(value)
    return value
