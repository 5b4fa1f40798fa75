"""Errors for people: a browser gets a small page in the studio's language with the same
status code (and a link back to the dashboard on the operator listener); scripts and curl
keep the JSON error shape (issue 10, item 11)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from quart import Response

import recado
from recado.http.operator_app import create_operator_app
from recado.http.texts.errors import DETAIL_PT
from recado.http.texts.message_types import MESSAGE_TYPES
from recado.testing import webhook_bodies as wb
from tests.conftest import running_daemon
from tests.webhook_helpers import WEBHOOK_TOML, deliver, write_secrets

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


# One request per kind of refusal a person can meet on the operator listener.
PEOPLE_ERRORS: list[tuple[str, str, dict[str, str], int]] = [
    ("GET", "/nope", {}, 404),
    ("GET", "/dlq/123", {}, 404),
    ("GET", "/events/nope", {}, 404),
    ("GET", "/messages/nope", {}, 404),
    ("GET", "/appointments/nope", {}, 404),
    ("GET", "/circuit-breakers/nope", {}, 404),
    ("POST", "/dashboard", {}, 405),
    ("GET", "/dlq?page=²", {}, 422),
    ("GET", "/dlq?state=bogus", {}, 422),
    ("GET", "/messages?date=9999-12-31", {}, 422),
    ("GET", "/report/daily?date=ontem", {}, 422),
    ("GET", "/messages?phone=abc", {}, 422),
    ("GET", "/messages?before=nope", {}, 422),
    ("GET", "/audit?limit=0", {}, 422),
    ("GET", "/webhooks?before=-1", {}, 422),
    # A form with no token, one from another site, one addressed to another name.
    ("POST", "/circuit-breakers/crm/reset", {"Origin": "own"}, 401),
    ("POST", "/circuit-breakers/crm/reset", {"Origin": "http://evil.example"}, 403),
    ("GET", "/dashboard", {"Host": "rebind.attacker.example"}, 421),
]


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
async def test_error_pages_say_the_detail_in_the_studios_language(
    daemon_dir: Path, locale: str
) -> None:
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    async with running_daemon(daemon_dir, extra) as daemon, _client() as client:
        op = daemon.listeners["operator"].url
        assert op is not None
        for method, path, headers, status in PEOPLE_ERRORS:
            sent = {k: (op if v == "own" else v) for k, v in headers.items()}
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            script = await client.request(
                method, f"{op}{path}", headers={**sent, **form, "Accept": "application/json"}
            )
            page = await client.request(
                method, f"{op}{path}", headers={**sent, **form, "Accept": BROWSER}
            )
            assert page.status_code == script.status_code == status, (path, page.text[:300])
            english = script.json()["detail"]
            shown = _visible(page.text)
            detail = re.search(r'id="error-detail">(.*?)</p>', page.text, re.S)
            assert detail is not None, path
            words = _visible(detail.group(1)).strip()
            if locale == "en":
                assert str(escape(english)) in page.text, path
            else:
                # The person reads pt-BR; the script still gets the English sentence.
                assert str(escape(english)) not in page.text, (path, shown)
                assert len(words) > len(str(status)) + 5, (path, words)
                assert not re.search(r"\b(expected|no such|the page|not allowed)\b", shown), (
                    path,
                    shown,
                )


def test_every_error_code_of_the_operator_listener_has_pt_br_words() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (Path(recado.__file__).parent / "http").glob("*.py")
    )
    codes = set(re.findall(r'json_error\(\s*[^,()]+,\s*"([a-z_]+)"', source))
    assert len(codes) > 15
    assert codes <= set(DETAIL_PT), sorted(codes - set(DETAIL_PT))


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
async def test_the_conversation_page_names_message_types_in_words(
    daemon_dir: Path, locale: str
) -> None:
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    write_secrets(daemon_dir)
    async with (
        running_daemon(daemon_dir, WEBHOOK_TOML + extra) as daemon,
        httpx.AsyncClient() as client,
    ):
        changes = [
            wb.inbound_text("oi", id=wb.wamid(), ts=1767225600),
            wb.inbound_button("CONFIRM:apt-1", "Confirmar", id=wb.wamid(), ts=1767225601),
            wb.inbound_media("image", id=wb.wamid(), ts=1767225602),
            wb.inbound_reaction("wamid.X", id=wb.wamid(), ts=1767225603),
            wb.inbound("some_future_type", {}, id=wb.wamid(), ts=1767225604),
        ]
        await deliver(daemon, client, *changes)
        op = daemon.listeners["operator"].url
        page = (await client.get(f"{op}/conversations/5511987654321")).text
        cells = re.findall(r"<td>([^<]*)</td>", page)
        types = MESSAGE_TYPES[locale]
        for kind in ("text", "button", "image", "reaction"):
            assert types[kind] in cells, (kind, cells)
            if types[kind] != kind:
                assert kind not in cells, (kind, cells)
        assert f"{types['other']} (some_future_type)" in cells, cells


async def test_the_webhooks_page_labels_technical_reasons_in_the_studios_language(
    daemon_dir: Path,
) -> None:
    write_secrets(daemon_dir)
    async with running_daemon(daemon_dir, WEBHOOK_TOML) as daemon, httpx.AsyncClient() as client:
        # A timestamp "²" is a malformed item, set aside beside a good one.
        bad = wb.inbound_text("oi", id=wb.wamid())
        bad["value"]["messages"][0]["timestamp"] = "²"
        await deliver(daemon, client, wb.inbound_text("bom", id=wb.wamid()), bad)
        op = daemon.listeners["operator"].url
        page = (await client.get(f"{op}/webhooks")).text
        assert "Motivo técnico (para o suporte)" in page
        [row] = re.findall(r'<table id="set-aside">.*?</table>', page, re.S)
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert "malformado" in cells
        # The parser's own words are shown as what they are: technical text, marked English.
        assert any(c.startswith('<code lang="en">') for c in cells), cells


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
async def test_head_and_too_large_requests_are_pages_for_browsers_too(
    daemon_dir: Path, locale: str
) -> None:
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    http = "max_body_bytes = 2000\n"
    async with running_daemon(daemon_dir, extra, http_toml=http) as daemon, _client() as client:
        op = daemon.listeners["operator"].url
        words = {"pt-BR": ("Página não encontrada", "Pedido grande demais")}.get(
            locale, ("Page not found", "Request too large")
        )
        # HEAD: the page's status and type, and no body, as HTTP wants.
        for path in ("/nope", "/dlq/123", "/messages/nope"):
            head = await client.head(f"{op}{path}", headers={"Accept": BROWSER})
            assert head.status_code == 404 and head.content == b"", path
            assert head.headers["content-type"].startswith("text/html"), path
            for accept in SCRIPTS:
                headers = {"Accept": accept} if accept else {}
                head = await client.head(f"{op}{path}", headers=headers)
                assert head.status_code == 404 and head.content == b""
                assert head.headers["content-type"] == "application/json"
        page = (await client.get(f"{op}/nope", headers={"Accept": BROWSER})).text
        assert f'<h1 id="error-title">{words[0]}' in page
        # A body over http.max_body_bytes, to a route that reads one.
        big = b'{"x": "' + b"a" * 5000 + b'"}'
        for path in ("/webhooks/replay", "/incidents"):
            headers = {"X-API-Key": daemon.api_key, "Content-Type": "application/json"}
            page = await client.post(
                f"{op}{path}", content=big, headers={**headers, **{"Accept": BROWSER}}
            )
            assert page.status_code == 413, (path, page.text[:300])
            assert page.headers["content-type"].startswith("text/html")
            assert f'<h1 id="error-title">{words[1]}' in page.text
            assert 'id="error-back" href="/dashboard"' in page.text
            for accept in SCRIPTS:
                sent = {**headers, "Accept": accept} if accept else headers
                answer = await client.post(f"{op}{path}", content=big, headers=sent)
                assert answer.status_code == 413
                assert answer.json()["error"] == "request_entity_too_large"


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
async def test_the_public_pages_people_open_answer_refusals_with_a_card(
    daemon_dir: Path, locale: str
) -> None:
    """The voucher and status paths are opened by the studio's clients: a wrong method or a
    cut-off link is a card in the studio's language, with nothing of the operator's. The
    public APIs answer JSON whoever asks: Meta and the studio's systems are scripts."""
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    async with running_daemon(daemon_dir, extra) as daemon, _client() as client:
        public = daemon.listeners["public"].url
        titles = {
            "pt-BR": {404: "Página não encontrada", 405: "Ação não permitida aqui"},
            "en": {404: "Page not found", 405: "Not allowed here"},
        }[locale]
        for method, path, status in [
            ("POST", "/voucher/apt-1?sig=x", 405),
            ("DELETE", "/status", 405),
            ("GET", "/voucher", 404),
            ("GET", "/voucher/", 404),
            ("GET", "/status/nope", 404),
        ]:
            page = await client.request(method, f"{public}{path}", headers={"Accept": BROWSER})
            assert page.status_code == status, (path, page.text[:200])
            assert page.headers["content-type"].startswith("text/html"), path
            assert f'<h1 id="error-title">{titles[status]}</h1>' in page.text, path
            assert f'<html lang="{locale}">' in page.text
            assert "/dashboard" not in page.text and "API" not in page.text
            assert page.headers["cache-control"] == "private, no-store"
            for accept in SCRIPTS:
                headers = {"Accept": accept} if accept else {}
                answer = await client.request(method, f"{public}{path}", headers=headers)
                assert answer.status_code == status
                assert isinstance(answer.json()["detail"], str)
        for method, path in [("GET", "/nope"), ("POST", "/api/v1/events"), ("GET", "/webhooks")]:
            answer = await client.request(method, f"{public}{path}", headers={"Accept": BROWSER})
            assert answer.status_code >= 400
            assert answer.headers["content-type"] == "application/json", path
