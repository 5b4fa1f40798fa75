"""Operator actions from the pages themselves (CONTRACT §8: ``X-API-Key`` or the page's CSRF
token), with the double-submit cookie pattern.

Each page sets a random token in a ``SameSite=Strict``, ``HttpOnly`` cookie and puts the same
token in its forms. A form post is accepted when both are present and equal: another site
can neither read the cookie nor make the browser send it. Scripts and the CLI keep using the
API key and get JSON; a person who clicked gets sent back to the page (303), or an error
page in their language that says what went wrong.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from quart import Quart, Response, g, redirect, render_template, request

from recado.http.auth import key_matches
from recado.http.error_pages import prefers_html
from recado.http.errors import json_error

COOKIE = "recado_csrf"
FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def page_token() -> str:
    token = request.cookies.get(COOKIE, "")
    if len(token) < 32:
        token = g.get("csrf_new") or secrets.token_urlsafe(32)
        g.csrf_new = token
    return token


def install_csrf(app: Quart) -> None:
    @app.context_processor
    async def inject() -> dict[str, Any]:
        return {"csrf_token": page_token}

    @app.after_request
    async def set_cookie(response: Response) -> Response:
        token = g.get("csrf_new")
        if token:
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
        return response


def require_operator(get_key: Callable[[], str]) -> Callable[[F], F]:
    """An operator action: the API key (JSON answers) or a page form with its token."""

    def decorate(view: F) -> F:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if key_matches(get_key(), request.headers.get("X-API-Key")):
                return await view(*args, **kwargs)
            if request.mimetype in FORM_TYPES:
                form = await request.form
                cookie, field = request.cookies.get(COOKIE, ""), form.get(FIELD, "")
                if len(cookie) >= 32 and hmac.compare_digest(cookie, field):
                    return await _for_a_person(await view(*args, **kwargs), form.get("next"))
            return json_error(401, "unauthorized", "missing or wrong X-API-Key header")

        return guarded  # type: ignore[return-value]

    return decorate


async def _for_a_person(response: Response, next_path: str | None) -> Response:
    if response.status_code < 400:
        # Only a path of this site: an open redirect would undo the point of the token.
        safe = (
            next_path if next_path and next_path.startswith("/") and "//" not in next_path else "/"
        )
        return redirect(safe, 303)  # type: ignore[return-value]
    if not prefers_html():
        return response  # a script posting the form asked for JSON: the error shape
    try:
        detail = json.loads(await response.get_data()).get("detail", "")
    except (ValueError, AttributeError):
        detail = ""
    html = await render_template(
        "action_failed.html", status=response.status_code, detail=detail, back=next_path or "/"
    )
    return Response(html, status=response.status_code, content_type="text/html; charset=utf-8")
