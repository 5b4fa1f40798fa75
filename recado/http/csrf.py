"""Operator actions from the pages themselves (docs/reference.md §9.4: ``X-API-Key`` or the
page's CSRF token), with three locks another site cannot open.

- The request must come from this site: its ``Origin`` (or, when a browser leaves that out,
  its ``Referer``) is this request's own ``scheme://host``; a post that says neither is
  refused, since every browser that runs the pages sends one of them.
- The page's token is one this server issued: a random value with an HMAC under a key derived
  from ``daemon.secret_key``, so a cookie planted from elsewhere (a sibling subdomain, a
  shared browser) is worth nothing.
- The token sits in a ``SameSite=Strict``, ``HttpOnly`` cookie and in the form (double
  submit): another site can neither read the cookie nor make the browser send it.

Scripts and the CLI keep using the API key and get JSON; a person who clicked is sent back to
the page (303, to a path of this site only), or to an error page in their language.
Refusals answer the JSON error shape.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from quart import Quart, Response, current_app, g, redirect, render_template, request

from recado.http.auth import key_matches
from recado.http.error_pages import error_of, people_detail, prefers_html
from recado.http.errors import json_error

COOKIE = "recado_csrf"
FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_EXTENSION = "recado_csrf_key"
_NONCE_BYTES = 16
_MAC_BYTES = 16
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}")
# Printable ASCII but the space and the backslash: what a path of ours is made of, and nothing
# a browser would turn into another site ("\" reads as "/", tabs and newlines are dropped).
_PATH_CHARS = re.compile(r"/[!-\[\]-~]*")
_MAX_NEXT = 2000

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def csrf_key(secret_key: bytes) -> bytes:
    """The key page tokens are signed with, derived so it is used for nothing else."""
    return hmac.new(secret_key, b"recado page token v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _mac(key: bytes, nonce: bytes) -> str:
    return _b64(hmac.new(key, nonce, hashlib.sha256).digest()[:_MAC_BYTES])


def issue_token(key: bytes) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return f"{_b64(nonce)}.{_mac(key, nonce)}"


def token_is_ours(key: bytes, token: str) -> bool:
    """Whether ``token`` was issued with ``key``; any other text (non-ASCII included) is not."""
    if not _TOKEN.fullmatch(token):
        return False
    nonce_text, mac_text = token.split(".")
    nonce = base64.urlsafe_b64decode(nonce_text + "==")
    return hmac.compare_digest(_mac(key, nonce).encode(), mac_text.encode())


def safe_next(value: str | None) -> str:
    """``value`` when it is a path of this site, else ``/``: never ``//host``, ``/\\host``,
    ``https://host`` or anything a browser would read as one."""
    if not value or len(value) > _MAX_NEXT or not _PATH_CHARS.fullmatch(value):
        return "/"
    if "//" in value or urlsplit(value).netloc:
        return "/"
    return value


def page_token() -> str:
    key = current_app.extensions[_EXTENSION]
    token = request.cookies.get(COOKIE, "")
    if not token_is_ours(key, token):
        token = g.get("csrf_new") or issue_token(key)
        g.csrf_new = token
    return token


def install_csrf(app: Quart, secret_key: bytes) -> None:
    app.extensions[_EXTENSION] = csrf_key(secret_key)

    @app.context_processor
    async def inject() -> dict[str, Any]:
        return {"csrf_token": page_token}

    @app.after_request
    async def set_cookie(response: Response) -> Response:
        token = g.get("csrf_new")
        if token:
            response.set_cookie(
                COOKIE,
                token,
                httponly=True,
                samesite="Strict",
                secure=request.scheme == "https",
                path="/",
            )
        return response


def _origin_problem() -> str | None:
    """Why this request does not come from this site's own pages, or None when it does."""
    own = f"{request.scheme}://{request.host}".lower()
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin.lower() == own:
            return None
        return f"the action came from {_show(origin)}, not from this site ({own})"
    referer = request.headers.get("Referer")
    if referer:
        try:
            parts = urlsplit(referer)
        except ValueError:
            parts = None
        if parts is not None and f"{parts.scheme}://{parts.netloc}".lower() == own:
            return None
        return f"the action came from a page of {_show(referer)}, not from this site ({own})"
    return (
        "the action says neither Origin nor Referer (expected a form posted from a page of "
        "this site, or the X-API-Key header)"
    )


def _show(value: str) -> str:
    return json.dumps(value if len(value) <= 80 else value[:77] + "...")


def require_operator(get_key: Callable[[], str]) -> Callable[[F], F]:
    """An operator action: the API key (JSON answers) or a page form with its token."""

    def decorate(view: F) -> F:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if key_matches(get_key(), request.headers.get("X-API-Key")):
                return await view(*args, **kwargs)
            if request.mimetype not in FORM_TYPES:
                return json_error(401, "unauthorized", "missing or wrong X-API-Key header")
            problem = _origin_problem()
            if problem is not None:
                return json_error(
                    403,
                    "cross_site",
                    problem,
                    pt="a ação não veio de uma página deste site (abra a página aqui e tente "
                    "de novo)",
                )
            form = await request.form
            cookie, field = request.cookies.get(COOKIE, ""), form.get(FIELD, "")
            key = current_app.extensions[_EXTENSION]
            # Compared as bytes: compare_digest refuses str with non-ASCII characters.
            if token_is_ours(key, cookie) and hmac.compare_digest(
                cookie.encode(), field.encode("utf-8", "surrogatepass")
            ):
                return await _for_a_person(await view(*args, **kwargs), form.get("next"))
            return json_error(
                401,
                "unauthorized",
                "the page's token is missing or was not issued by this server "
                "(expected a form from a page of this site: reload the page and try again)",
                pt="o formulário não tem o código desta página ou ele não foi emitido por este "
                "servidor: recarregue a página e tente de novo",
            )

        # functools.wraps keeps the view's signature, which mypy cannot see through F.
        return guarded  # type: ignore[return-value]

    return decorate


async def _for_a_person(response: Response, next_path: str | None) -> Response:
    back = safe_next(next_path)
    if response.status_code < 400:
        # Only a path of this site: an open redirect would undo the point of the token.
        # Quart's redirect is typed as werkzeug's Response; Quart serves it as its own.
        return redirect(back, 303)  # type: ignore[return-value]
    if not prefers_html():
        return response  # a script posting the form asked for JSON: the error shape
    found = error_of(await response.get_data())  # type: ignore[arg-type]
    detail = people_detail(found[0], found[1]) if found else ""
    html = await render_template(
        "action_failed.html", status=response.status_code, detail=detail, back=back
    )
    return Response(html, status=response.status_code, content_type="text/html; charset=utf-8")
