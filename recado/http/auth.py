"""Operator actions and the events API require the ``X-API-Key`` header."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from functools import wraps
from typing import Any, TypeVar

import msgspec
from quart import Response, request

from recado.http.errors import json_error
from recado.rules.constant_time import same_secret
from recado.rules.json_depth import depth_ok, too_deep_detail

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def key_matches(expected: str, given: str | None) -> bool:
    return same_secret(expected, given)


def require_api_key(get_key: Callable[[], str]) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if not key_matches(get_key(), request.headers.get("X-API-Key")):
                return json_error(401, "unauthorized", "missing or wrong X-API-Key header")
            return await view(*args, **kwargs)

        # functools.wraps keeps the view's signature, which mypy cannot see through F.
        return guarded  # type: ignore[return-value]

    return decorate


def client_ip() -> str:
    return request.remote_addr or ""


async def json_body(fields: Collection[str]) -> dict[str, Any] | Response:
    """The request's JSON object, or a 400 response saying what is wrong with it, or a 422
    naming a key other than ``fields`` (a misspelt key must not mean "everything": a replay
    with ``{"sinse": ...}`` would replay every body)."""
    raw: bytes = await request.get_data(cache=False, as_text=False, parse_form_data=False)
    if not depth_ok(raw):
        return json_error(400, "too_deep", too_deep_detail())
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        data = None
    if not isinstance(data, dict):
        return json_error(400, "invalid_json", "the request body must be a JSON object")
    unknown = sorted(str(k) for k in data if k not in fields)
    if unknown:
        shown = ", ".join(msgspec.json.encode(k[:40]).decode() for k in unknown[:5])
        expected = ", ".join(f'"{f}"' for f in fields)
        return json_error(
            422,
            "unknown_field",
            f"{shown}: not a field of this action (expected {expected})",
            field=unknown[0][:40],
        )
    return data
