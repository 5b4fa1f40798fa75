"""Who may drive the signup flow: a script with the API key, or the connection page itself.

The page posts JSON from its own script, so the form token of ``http.csrf`` travels in a
header instead (``X-Recado-Page-Token``), beside the same ``SameSite=Strict`` cookie; the
request must also come from this site (``Origin``). Another site can neither read the cookie
nor send the header (a custom header needs a CORS preflight nobody answers).

The page's session is that signed cookie: the signup's one-time state is bound to it, so a
state issued to one browser cannot be spent from another. Scripts share one session, the
API key's.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from quart import current_app, request

from recado.http.auth import key_matches
from recado.http.csrf import _EXTENSION, COOKIE, _origin_problem, token_is_ours
from recado.http.errors import json_error

HEADER = "X-Recado-Page-Token"
API_SESSION = "api-key"

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def page_session() -> str | None:
    """The page session of this request (its signed cookie) when the header repeats it."""
    key = current_app.extensions[_EXTENSION]
    cookie = request.cookies.get(COOKIE, "")
    header = request.headers.get(HEADER, "")
    if not token_is_ours(key, cookie):
        return None
    if not hmac.compare_digest(cookie.encode(), header.encode("utf-8", "surrogatepass")):
        return None
    return cookie


def operator_or_page(get_key: Callable[[], str]) -> Callable[[F], F]:
    """The view gets ``session=`` (the page's cookie, or the API key's session)."""

    def decorate(view: F) -> F:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if key_matches(get_key(), request.headers.get("X-API-Key")):
                return await view(*args, session=API_SESSION, **kwargs)
            if HEADER not in request.headers:
                return json_error(401, "unauthorized", "missing or wrong X-API-Key header")
            problem = _origin_problem()
            if problem is not None:
                return json_error(403, "cross_site", problem)
            session = page_session()
            if session is None:
                return json_error(
                    401,
                    "session_expired",
                    "the page's session is gone or was not issued by this server "
                    "(reload the page and connect again)",
                )
            return await view(*args, session=session, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
