"""Operator actions and the events API require the ``X-API-Key`` header."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from quart import Response, request

from recado.http.errors import json_error

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def key_matches(expected: str, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def require_api_key(get_key: Callable[[], str]) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if not key_matches(get_key(), request.headers.get("X-API-Key")):
                return json_error(401, "unauthorized", "missing or wrong X-API-Key header")
            return await view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def client_ip() -> str:
    return request.remote_addr or ""


async def json_body() -> dict[str, Any] | Response:
    """The request's JSON object, or a 400 response saying what is wrong with it."""
    data = await request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        return json_error(400, "invalid_json", "the request body must be a JSON object")
    return data
