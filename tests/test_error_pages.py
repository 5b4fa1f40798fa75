"""Errors for people: a browser gets a small page in the studio's language with the same
status code (and a link back to the dashboard on the operator listener); scripts and curl
keep the JSON error shape (issue 10, item 11)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from quart import Response

from recado.http.operator_app import create_operator_app
from tests.conftest import running_daemon

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
SCRIPTS = ["application/json", "*/*", None]

# (method, path, status, pt-BR title, English title) on the operator listener.
OPERATOR_ERRORS = [
    ("GET", "/nope", 404, "Página não encontrada", "Page not found"),
    ("GET", "/dlq/99999999999999999999999", 404, "Página não encontrada", "Page not found"),
    ("GET", "/messages/nope", 404, "Página não encontrada", "Page not found"),
    ("POST", "/dashboard", 405, "Ação não permitida aqui", "Not allowed here"),
    ("GET", "/dlq?page=²", 422, "Valor inválido", "Invalid value"),
    ("GET", "/messages?date=9999-12-31", 422, "Valor inválido", "Invalid value"),
    ("POST", "/webhooks/replay", 400, "Pedido inválido", "Bad request"),
]


def _client() -> httpx.AsyncClient:
    """A client that sends no Accept header unless told (httpx sends ``*/*`` by default)."""
    client = httpx.AsyncClient()
    del client.headers["Accept"]
    return client


def _headers(accept: str | None, key: str) -> dict[str, str]:
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    if accept is not None:
        headers["Accept"] = accept
    return headers


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
async def test_operator_errors_are_pages_for_browsers_and_json_for_scripts(
    daemon_dir: Path, locale: str
) -> None:
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    async with running_daemon(daemon_dir, extra) as daemon, _client() as client:
        op = daemon.listeners["operator"].url
        for method, path, status, pt_title, en_title in OPERATOR_ERRORS:
            page = await client.request(
                method, f"{op}{path}", content=b"{nope", headers=_headers(BROWSER, daemon.api_key)
            )
            assert page.status_code == status, (path, page.text)
            assert page.headers["content-type"].startswith("text/html"), path
            assert (
                f'<h1 id="error-title">{pt_title if locale == "pt-BR" else en_title}' in page.text
            )
            assert 'id="error-back" href="/dashboard"' in page.text
            assert f'<html lang="{locale}">' in page.text
            if status == 405:
                assert "GET" in page.headers["allow"]
            for accept in SCRIPTS:
                answer = await client.request(
                    method,
                    f"{op}{path}",
                    content=b"{nope",
                    headers=_headers(accept, daemon.api_key),
                )
                assert answer.status_code == status
                body = answer.json()
                assert isinstance(body["error"], str) and isinstance(body["detail"], str)
        # A page's .json twin is for scripts, whatever the Accept header says.
        twin = await client.get(f"{op}/dlq.json?page=²", headers={"Accept": BROWSER})
        assert twin.status_code == 422 and twin.json()["field"] == "page"


async def test_an_unexpected_failure_is_a_page_too(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon:
        # The operator app as served, plus one route that fails the way a bug would.
        app = create_operator_app(daemon)

        @app.get("/_fails")
        async def fails() -> Response:
            raise RuntimeError("a bug")

        client = app.test_client()
        # The test client says "localhost" without a port; the listener answers its own name.
        own = {"Host": str(daemon.listeners["operator"].bound)}
        page = await client.get("/_fails", headers={"Accept": BROWSER, **own})
        assert page.status_code == 500
        text = (await page.get_data()).decode()
        assert '<h1 id="error-title">Erro interno' in text and 'href="/dashboard"' in text
        answer = await client.get("/_fails", headers=own)
        assert answer.status_code == 500
        assert (await answer.get_json())["error"] == "internal_error"


@pytest.mark.parametrize(
    ("locale", "title"), [("pt-BR", "Comprovante não encontrado"), ("en", "Voucher not found")]
)
async def test_a_bad_voucher_link_is_a_page_for_people(
    daemon_dir: Path, locale: str, title: str
) -> None:
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    async with running_daemon(daemon_dir, extra) as daemon, _client() as client:
        public = daemon.listeners["public"].url
        for sig in ("A" * 22, "é", ""):
            page = await client.get(
                f"{public}/voucher/apt-1?sig={sig}", headers={"Accept": BROWSER}
            )
            assert page.status_code == 404
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["cache-control"] == "private, no-store"
            assert f'<h1 id="error-title">{title}</h1>' in page.text
            # The client of the studio has no dashboard to go back to.
            assert "/dashboard" not in page.text
            for accept in SCRIPTS:
                headers = {"Accept": accept} if accept else {}
                answer = await client.get(f"{public}/voucher/apt-1?sig={sig}", headers=headers)
                assert answer.status_code == 404
                assert answer.json() == {"error": "not_found", "detail": "no such voucher"}
