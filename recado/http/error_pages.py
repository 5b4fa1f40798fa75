"""Errors for people: the operator listener answers a browser with a small page in the
studio's language that says what happened and links back to the dashboard; scripts and
curl (``Accept: application/json``, ``*/*`` or no header) keep the JSON error shape.

Views and error handlers keep returning ``json_error``: the page is made from that answer
after the request, so every refusal of every route (and of error handlers added later)
reaches a person the same way, with the same status code. The page's detail is in the
studio's language: in pt-BR the refusal's own words (``json_error(..., pt=...)``) or its
code's (``texts.errors.DETAIL_PT``), never the English of the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from quart import Quart, Response, current_app, g, render_template, request

from recado.http.i18n import back_label, error_words, page_locale
from recado.http.texts.errors import DETAIL_PT
from recado.logs import get_logger
from recado.runtime.context import Daemon

log = get_logger("http")

# Headers that describe the JSON body; everything else (Allow, Retry-After, Set-Cookie) stays.
_BODY_HEADERS = ("content-type", "content-length")


def prefers_html() -> bool:
    """A browser asks for text/html first; ``*/*`` alone or no Accept header is a script."""
    if request.path.endswith(".json"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def error_of(data: bytes) -> tuple[str, str] | None:
    """The ``(error, detail)`` of a JSON error body, or None for any other JSON."""
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error, detail = body.get("error"), body.get("detail")
    if not isinstance(error, str) or not isinstance(detail, str):
        return None
    return error, detail


def people_detail(code: str, detail: str) -> str:
    """The detail of error ``code`` (``detail`` in English) for a person, in the page's
    language."""
    locale = page_locale(current_daemon())
    if locale == "en":
        return detail
    own: dict[str, str] = g.get("error_details_pt") or {}
    return own.get(code) or DETAIL_PT.get(code, "")


def current_daemon() -> Daemon:
    daemon: Daemon = current_app.extensions["recado_daemon"]
    return daemon


# The public listener's paths a person opens in a browser; the rest are APIs.
PUBLIC_PEOPLE_PATHS = ("/voucher", "/status")


async def _as_page(
    response: Response, render: Callable[[str, str, str], Awaitable[str]]
) -> Response:
    """``response`` as a page for a browser when it is one of our JSON errors; ``render``
    makes the HTML from the title, sentence and detail."""
    if response.status_code < 400 or response.mimetype != "application/json":
        return response
    if not prefers_html():
        return response
    # Our JSON error responses hold bytes; get_data is typed as str | bytes.
    found = error_of(await response.get_data())  # type: ignore[arg-type]
    if found is None:
        return response
    title, what = error_words(page_locale(current_daemon()), response.status_code)
    try:
        html = await render(title, what, people_detail(*found))
    except Exception as exc:
        # The JSON answer is still a true answer: better it than none.
        log.warning("error_page_failed", error_type=type(exc).__name__, error=str(exc))
        return response
    page = Response(html, status=response.status_code, content_type="text/html; charset=utf-8")
    for name, value in response.headers.items():
        if name.lower() not in _BODY_HEADERS:
            page.headers.add(name, value)
    return page


def install_error_pages(app: Quart, daemon: Daemon) -> None:
    app.extensions["recado_daemon"] = daemon

    @app.after_request
    async def for_people(response: Response) -> Response:
        async def render(title: str, what: str, detail: str) -> str:
            return await render_template(
                "error.html",
                status=response.status_code,
                title=title,
                what=what,
                detail=detail,
                back=back_label(page_locale(daemon)),
            )

        return await _as_page(response, render)


def install_public_error_pages(app: Quart, daemon: Daemon) -> None:
    app.extensions["recado_daemon"] = daemon

    @app.after_request
    async def for_people(response: Response) -> Response:
        if not request.path.startswith(PUBLIC_PEOPLE_PATHS):
            return response

        async def render(title: str, what: str, detail: str) -> str:
            # The studio's client reads the sentence; the detail is for the studio's team.
            return await render_template(
                "voucher_missing.html",
                locale=page_locale(daemon),
                title=title,
                what=what,
                studio=daemon.config.studio.name,
            )

        page = await _as_page(response, render)
        if page is not response:
            page.headers["Cache-Control"] = "private, no-store"
        return page
