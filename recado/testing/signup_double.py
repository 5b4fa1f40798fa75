"""The Graph double's Embedded Signup side (WHATSAPP.md §9-§11): the endpoints the flow calls,
with Meta's rules, and scripting for every way they fail.

- ``oauth/access_token``: a code works once, within 30 s of being issued (on the double's
  clock, injectable), for the app id and secret it was made for;
- ``debug_token`` (with the app token): the business token's grants and lifetime, with
  scope names that can be changed (Meta renamed them in 2026), or ``is_valid: false``;
- ``/{waba}/phone_numbers`` and ``/{phone}``: only with a token granted that WABA;
- ``/{waba}/subscribed_apps``: the plain subscription, the override (refused with #100 before
  a plain one), and the unsubscribe;
- ``/{phone}/register``: a 6-digit PIN, equal to the one already set, 10 per 72 h, never for
  a number on the WhatsApp Business app (coexistence);
- ``/{phone}/smb_app_data``: each sync type once, coexistence numbers only.

``fail_next(step, ...)`` scripts a failure of the next call of one step; ``delay_s`` answers
every call late (the bench); ``account_update(...)`` builds the webhooks Meta sends.
The JS SDK stand-in (``sdk_standin``) issues its codes here.
"""

from __future__ import annotations

import re
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import trio

# Meta's names as of early 2026; tests change them to prove nothing gates on them.
SCOPES = ("whatsapp_business_management", "whatsapp_business_messaging")
CODE_TTL_S = 30.0
REGISTER_LIMIT = 10
SYNC_TYPES = ("smb_app_state_sync", "history")

_OAUTH = re.compile(r"^/v\d+\.\d+/oauth/access_token$")
_DEBUG = re.compile(r"^/v\d+\.\d+/debug_token$")
_EDGE = re.compile(r"^/v\d+\.\d+/(\d+)/(phone_numbers|subscribed_apps|register|smb_app_data)$")
_NODE = re.compile(r"^/v\d+\.\d+/(\d+)$")
# (path, query, headers, body) -> (status, answer)
Handler = Callable[[str, dict[str, str], dict[str, str], Any], tuple[int, Any]]


@dataclass
class Account:
    """What one signup grants: a WABA and its number."""

    waba_id: str
    phone_number_id: str
    display_phone_number: str
    verified_name: str
    coexistence: bool = False
    business_id: str = "272900000000001"
    quality_rating: str = "GREEN"


NEW_NUMBER = Account("524100000000001", "106500000000001", "+55 11 98888-0001", "Estúdio Lua")
COEXISTENCE = Account(
    "524100000000002", "106500000000002", "+55 11 97777-0002", "Estúdio Sol", coexistence=True
)


@dataclass
class Token:
    account: Account
    valid: bool = True
    expires_at: int = 0  # unix seconds; 0: never
    data_access_expires_at: int = 0
    invalid_subcode: int = 458


@dataclass
class Code:
    account: Account
    issued_at: float
    used: bool = False


@dataclass
class Scripted:
    code: int
    http_status: int = 400
    subcode: int | None = None
    message: str = ""
    is_transient: bool | None = None
    hang: bool = False


@dataclass
class SignupGraph:
    app_id: str = "1234567890"
    app_secret: str = "app-secret-for-tests"
    clock: Callable[[], float] = trio.current_time
    code_ttl_s: float = CODE_TTL_S
    delay_s: float = 0.0
    scope_names: tuple[str, ...] = SCOPES
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    subscribed: dict[str, dict[str, Any]] = field(default_factory=dict)
    registered: dict[str, str] = field(default_factory=dict)
    register_calls: dict[str, int] = field(default_factory=dict)
    smb_requests: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _script: dict[str, deque[Scripted]] = field(default_factory=dict)

    # -- scripting ------------------------------------------------------------------------

    def issue_code(self, account: Account = NEW_NUMBER, *, late_by_s: float = 0.0) -> str:
        """A code as the popup gets it; ``late_by_s`` makes it that much older (a code that
        reaches the server after its 30 s)."""
        code = "AQ" + secrets.token_urlsafe(48)
        self.codes[code] = Code(account, self.clock() - late_by_s)
        return code

    def fail_next(
        self,
        step: str,
        n: int = 1,
        code: int = 100,
        *,
        http_status: int = 400,
        subcode: int | None = None,
        message: str = "",
        is_transient: bool | None = None,
    ) -> None:
        """Fail the next ``n`` calls of ``step`` (oauth, debug_token, phone_numbers, number,
        subscribe, override, unsubscribe, register, smb_app_data)."""
        queue = self._script.setdefault(step, deque())
        for _ in range(n):
            queue.append(Scripted(code, http_status, subcode, message, is_transient))

    def hang_next(self, step: str) -> None:
        """The next call of ``step`` is read and never answered (a daemon killed meanwhile
        leaves its signup half done)."""
        self._script.setdefault(step, deque()).append(Scripted(0, hang=True))

    def token_for(self, account: Account) -> str | None:
        return next((t for t, info in self.tokens.items() if info.account == account), None)

    def accepts(self, authorization: str) -> bool:
        """A send's bearer token is one this double issued and still valid."""
        token = self.tokens.get(authorization.removeprefix("Bearer "))
        return token is not None and token.valid

    # -- the routes -----------------------------------------------------------------------

    async def route(
        self, method: str, target: str, headers: dict[str, str], body: Any
    ) -> tuple[int, Any] | None:
        """The answer for a signup endpoint, or None when ``target`` is not one."""
        path, _, raw_query = target.partition("?")
        query = {k: v[0] for k, v in parse_qs(raw_query).items()}
        step, handler = self._match(method, path)
        if handler is None:
            return None
        self.calls.append(step)
        if self.delay_s:
            await trio.sleep(self.delay_s)
        queue = self._script.get(step)
        if queue:
            s = queue.popleft()
            if s.hang:
                await trio.sleep_forever()
            return s.http_status, error(
                s.code, s.message or f"scripted {step} error", s.subcode, s.is_transient
            )
        return handler(path, query, headers, body if isinstance(body, dict) else {})

    def _match(self, method: str, path: str) -> tuple[str, Handler | None]:
        if method == "GET" and _OAUTH.match(path):
            return "oauth", self._oauth
        if method == "GET" and _DEBUG.match(path):
            return "debug_token", self._debug
        edge = _EDGE.match(path)
        if edge:
            kind = edge.group(2)
            if kind == "phone_numbers" and method == "GET":
                return "phone_numbers", self._numbers
            if kind == "subscribed_apps" and method == "POST":
                return "subscribe", self._subscribe
            if kind == "subscribed_apps" and method == "DELETE":
                return "unsubscribe", self._unsubscribe
            if kind == "register" and method == "POST":
                return "register", self._register
            if kind == "smb_app_data" and method == "POST":
                return "smb_app_data", self._smb
        if method == "GET" and _NODE.match(path) and self._number(_NODE.match(path).group(1)):  # type: ignore[union-attr]
            return "number", self._node
        return "", None

    def _bearer(self, headers: dict[str, str]) -> Token | None:
        token = self.tokens.get(headers.get("authorization", "").removeprefix("Bearer "))
        return token if token is not None and token.valid else None

    def _number(self, phone_number_id: str) -> Account | None:
        return next(
            (
                t.account
                for t in self.tokens.values()
                if t.account.phone_number_id == phone_number_id
            ),
            None,
        )

    def _oauth(self, path: str, q: dict[str, str], h: dict[str, str], b: Any) -> tuple[int, Any]:
        if q.get("client_id") != self.app_id or q.get("client_secret") != self.app_secret:
            return 400, error(101, "Error validating client secret.")
        code = self.codes.get(q.get("code", ""))
        if code is None:
            return 400, error(100, "Invalid verification code format.")
        if code.used:
            return 400, error(100, "This authorization code has been used.", 36009)
        if self.clock() - code.issued_at > self.code_ttl_s:
            return 400, error(100, "This authorization code has expired.", 36007)
        code.used = True
        token = "EAAG" + secrets.token_urlsafe(60)
        self.tokens[token] = Token(code.account)
        return 200, {"access_token": token, "token_type": "bearer"}

    def _debug(self, path: str, q: dict[str, str], h: dict[str, str], b: Any) -> tuple[int, Any]:
        if q.get("access_token") != f"{self.app_id}|{self.app_secret}":
            return 400, error(190, "Invalid OAuth access token - Cannot parse access token")
        token = self.tokens.get(q.get("input_token", ""))
        if token is None:
            return 200, {
                "data": {
                    "is_valid": False,
                    "error": {"code": 190, "subcode": 467, "message": "Invalid token"},
                }
            }
        data: dict[str, Any] = {
            "app_id": self.app_id,
            "type": "SYSTEM_USER",
            "application": "recado tests",
            "is_valid": token.valid,
            "expires_at": token.expires_at,
            "data_access_expires_at": token.data_access_expires_at,
            "scopes": [*self.scope_names, "business_management"],
            "granular_scopes": [
                {"scope": name, "target_ids": [token.account.waba_id]} for name in self.scope_names
            ],
        }
        if not token.valid:
            data["error"] = {
                "code": 190,
                "subcode": token.invalid_subcode,
                "message": "Error validating access token",
            }
        return 200, {"data": data}

    def _granted(self, headers: dict[str, str], waba_id: str) -> Token | tuple[int, Any]:
        token = self._bearer(headers)
        if token is None:
            return 401, error(190, "Invalid OAuth access token - Cannot parse access token", 467)
        if token.account.waba_id != waba_id:
            return 403, error(200, "(#200) Permissions error")
        return token

    def _numbers(self, path: str, q: dict[str, str], h: dict[str, str], b: Any) -> tuple[int, Any]:
        token = self._granted(h, _EDGE.match(path).group(1))  # type: ignore[union-attr]
        if not isinstance(token, Token):
            return token
        a = token.account
        return 200, {
            "data": [
                {
                    "id": a.phone_number_id,
                    "display_phone_number": a.display_phone_number,
                    "verified_name": a.verified_name,
                    "quality_rating": a.quality_rating,
                    "is_on_biz_app": a.coexistence,
                    "platform_type": "CLOUD_API",
                }
            ]
        }

    def _node(self, path: str, q: dict[str, str], h: dict[str, str], b: Any) -> tuple[int, Any]:
        account = self._number(_NODE.match(path).group(1))  # type: ignore[union-attr]
        assert account is not None
        token = self._granted(h, account.waba_id)
        if not isinstance(token, Token):
            return token
        return 200, {
            "id": account.phone_number_id,
            "display_phone_number": account.display_phone_number,
            "verified_name": account.verified_name,
            "quality_rating": account.quality_rating,
        }

    def _subscribe(
        self, path: str, q: dict[str, str], h: dict[str, str], b: Any
    ) -> tuple[int, Any]:
        waba = _EDGE.match(path).group(1)  # type: ignore[union-attr]
        token = self._granted(h, waba)
        if not isinstance(token, Token):
            return token
        state = self.subscribed.setdefault(waba, {"plain": False, "override": None})
        if "override_callback_uri" in b:
            script = self._script.get("override")
            if script:
                s = script.popleft()
                return s.http_status, error(s.code, s.message or "scripted override error")
            if not state["plain"]:
                return 400, error(
                    100, "(#100) The app must be subscribed to the WABA before an override."
                )
            if not b.get("verify_token"):
                return 400, error(100, "(#100) verify_token is required with the override.")
            state["override"] = b["override_callback_uri"]
        else:
            state["plain"] = True
        return 200, {"success": True}

    def _unsubscribe(
        self, path: str, q: dict[str, str], h: dict[str, str], b: Any
    ) -> tuple[int, Any]:
        waba = _EDGE.match(path).group(1)  # type: ignore[union-attr]
        token = self._granted(h, waba)
        if not isinstance(token, Token):
            return token
        self.subscribed.pop(waba, None)
        return 200, {"success": True}

    def _register(self, path: str, q: dict[str, str], h: dict[str, str], b: Any) -> tuple[int, Any]:
        phone = _EDGE.match(path).group(1)  # type: ignore[union-attr]
        account = self._number(phone)
        if account is None:
            return 400, error(100, "(#100) Unknown phone number")
        token = self._granted(h, account.waba_id)
        if not isinstance(token, Token):
            return token
        if account.coexistence:
            return 400, error(
                100, "(#100) This number is on the WhatsApp Business app; do not register it."
            )
        pin = b.get("pin")
        if b.get("messaging_product") != "whatsapp" or not (
            isinstance(pin, str) and re.fullmatch(r"[0-9]{6}", pin)
        ):
            return 400, error(100, "(#100) messaging_product and a 6-digit pin are required")
        calls = self.register_calls.get(phone, 0) + 1
        self.register_calls[phone] = calls
        if calls > REGISTER_LIMIT:
            return 400, error(133016, "Account register deregister rate limit exceeded")
        if phone in self.registered and self.registered[phone] != pin:
            return 400, error(133005, "Two step verification PIN Mismatch")
        self.registered[phone] = pin
        return 200, {"success": True}

    def _smb(self, path: str, q: dict[str, str], h: dict[str, str], b: Any) -> tuple[int, Any]:
        phone = _EDGE.match(path).group(1)  # type: ignore[union-attr]
        account = self._number(phone)
        if account is None:
            return 400, error(100, "(#100) Unknown phone number")
        token = self._granted(h, account.waba_id)
        if not isinstance(token, Token):
            return token
        sync_type = b.get("sync_type")
        if not account.coexistence or sync_type not in SYNC_TYPES:
            return 400, error(100, "(#100) Invalid parameter sync_type for this number")
        if (phone, sync_type) in self.smb_requests:
            return 400, error(100, f"(#100) {sync_type} was already requested for this number")
        request_id = "req_" + secrets.token_hex(8)
        self.smb_requests[(phone, sync_type)] = request_id
        return 200, {"messaging_product": "whatsapp", "request_id": request_id}


def error(
    code: int, message: str, subcode: int | None = None, is_transient: bool | None = None
) -> dict[str, Any]:
    err: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "DoubleSignup" + secrets.token_hex(4),
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    if is_transient is not None:
        err["is_transient"] = is_transient
    return {"error": err}


def account_update(
    event: str,
    account: Account = NEW_NUMBER,
    *,
    reason: str | None = None,
    initiated_by: str | None = None,
) -> dict[str, Any]:
    """An ``account_update`` change as Meta sends it (PARTNER_REMOVED carries
    ``disconnection_info``)."""
    value: dict[str, Any] = {
        "phone_number": account.display_phone_number,
        "event": event,
        "waba_info": {"waba_id": account.waba_id, "owner_business_id": account.business_id},
    }
    if reason is not None:
        value["disconnection_info"] = {"reason": reason, "initiated_by": initiated_by or "USER"}
    return {"field": "account_update", "value": value}


def quality_update(account: Account = NEW_NUMBER, limit: str = "TIER_2K") -> dict[str, Any]:
    return {
        "field": "phone_number_quality_update",
        "value": {
            "display_phone_number": account.display_phone_number.replace(" ", "")
            .replace("-", "")
            .lstrip("+"),
            "event": "THROUGHPUT_UPGRADE",
            "max_daily_conversations_per_business": limit,
        },
    }
