"""Page actions: only from this site's own pages, only with a token this server issued, and
back only to a path of this site."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recado.http.csrf import COOKIE, csrf_key, issue_token, safe_next, token_is_ours
from tests.conftest import running_daemon

# A sync job, so that the /sync page always carries a form (and with it the token).
SERVICE = (
    '[[services]]\nname = "crm"\nbase_url = "http://127.0.0.1:9"\n'
    '[[sync]]\nname = "nightly"\nschedule = "0 3 * * *"\n'
    'source = "crm:GET:/a"\ntarget = "crm:POST:/b"\n'
)
ACTION = "/circuit-breakers/crm/reset"


@dataclass
class Pages:
    url: str
    client: httpx.AsyncClient
    token: str

    async def post(
        self,
        *,
        cookie: str | bytes | None = None,
        field: str | None = None,
        origin: str | None = "own",
        referer: str | None = None,
        next_path: str = "/circuit-breakers",
    ) -> httpx.Response:
        headers: dict[str, str | bytes] = {}
        if origin is not None:
            headers["Origin"] = self.url if origin == "own" else origin
        if referer is not None:
            headers["Referer"] = referer
        value = self.token if cookie is None else cookie
        prefix = f"{COOKIE}=".encode()
        headers["Cookie"] = prefix + (value.encode() if isinstance(value, str) else value)
        form = {"csrf_token": self.token if field is None else field, "next": next_path}
        return await self.client.post(f"{self.url}{ACTION}", data=form, headers=headers)


@asynccontextmanager
async def pages(directory: Path) -> AsyncIterator[Pages]:
    async with (
        running_daemon(directory, SERVICE, test_hooks=False) as daemon,
        httpx.AsyncClient(timeout=10) as client,
    ):
        url = str(daemon.listeners["operator"].url)
        page = await client.get(f"{url}/sync")
        token = page.cookies[COOKIE]
        client.cookies.clear()
        yield Pages(url, client, token)


def _refused(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["detail"], body


async def test_an_action_from_the_page_goes_through(daemon_dir: Path) -> None:
    async with pages(daemon_dir) as p:
        answer = await p.post()
        assert answer.status_code == 303 and answer.headers["location"] == "/circuit-breakers"
        # A browser that leaves Origin out sends the page it was on.
        answer = await p.post(origin=None, referer=f"{p.url}/circuit-breakers")
        assert answer.status_code == 303


@pytest.mark.parametrize(
    ("origin", "referer"),
    [
        ("http://evil.example", None),
        ("null", None),
        ("http://127.0.0.1:1", None),  # same host, another port
        ("https://127.0.0.1", None),
        (None, "http://evil.example/page"),
        (None, "http://[::1/broken"),
        (None, None),
    ],
)
async def test_an_action_from_another_site_is_refused(
    daemon_dir: Path, origin: str | None, referer: str | None
) -> None:
    async with pages(daemon_dir) as p:
        _refused(await p.post(origin=origin, referer=referer), 403, "cross_site")


async def test_only_tokens_this_server_issued_are_accepted(daemon_dir: Path) -> None:
    async with pages(daemon_dir) as p:
        # The old check took any 32 characters in both places.
        planted = "x" * 43
        _refused(await p.post(cookie=planted, field=planted), 401, "unauthorized")
        # Well formed, signed with another daemon's key.
        other = issue_token(csrf_key(b"k" * 32))
        _refused(await p.post(cookie=other, field=other), 401, "unauthorized")
        # Ours, but the form carries another.
        _refused(await p.post(field=issue_token(csrf_key(b"k" * 32))), 401, "unauthorized")
        # Non-ASCII in the cookie or the field: refused, never a crash.
        _refused(await p.post(cookie="é" * 43, field="é" * 43), 401, "unauthorized")
        _refused(await p.post(cookie="é".encode("latin-1") * 43), 401, "unauthorized")
        _refused(await p.post(field=p.token[:-1] + "é"), 401, "unauthorized")


async def test_a_page_with_a_foreign_cookie_issues_its_own(daemon_dir: Path) -> None:
    async with pages(daemon_dir) as p:
        planted = "y" * 43
        page = await p.client.get(f"{p.url}/sync", headers={"Cookie": f"{COOKIE}={planted}"})
        fresh = page.cookies[COOKIE]
        p.client.cookies.clear()
        assert fresh != planted
        assert f'name="csrf_token" value="{fresh}"' in page.text
        assert (await p.post(cookie=fresh, field=fresh)).status_code == 303


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " /evil",
        "https://evil.example/",
        "javascript:alert(1)",
        "dlq",
        "",
    ],
)
async def test_next_only_leads_to_a_path_of_this_site(daemon_dir: Path, next_path: str) -> None:
    async with pages(daemon_dir) as p:
        answer = await p.post(next_path=next_path)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


def _as_a_browser_reads_it(location: str) -> str:
    """WHATWG URL parsing of a Location, where Python's urljoin differs: tabs and newlines
    are dropped, leading controls and spaces stripped, a backslash is a slash."""
    cleaned = re.sub(r"[\t\n\r]", "", location).lstrip("".join(map(chr, range(0x21))))
    return urljoin("http://studio.local/dlq", cleaned.replace("\\", "/"))


@settings(max_examples=500)
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(alphabet="/\\.:@?#\t\n %evil", max_size=20),
        st.text(alphabet="/\\.:@?#\t\n %evil", max_size=20).map(lambda s: "/" + s),
    )
)
def test_whatever_next_says_the_browser_stays_on_this_site(next_path: str) -> None:
    location = safe_next(next_path)
    assert location == "/" or location == next_path
    assert urlsplit(_as_a_browser_reads_it(location)).netloc == "studio.local"


def test_issued_tokens_verify_and_nothing_else_does() -> None:
    key = csrf_key(b"s" * 32)
    token = issue_token(key)
    assert token_is_ours(key, token)
    assert not token_is_ours(csrf_key(b"t" * 32), token)
    assert not token_is_ours(key, token + "A")
    assert not token_is_ours(key, token.upper())
    assert not token_is_ours(key, token.replace(".", "é"))


async def test_an_action_that_fails_tells_the_person_why_in_pt_br(daemon_dir: Path) -> None:
    async with pages(daemon_dir) as p:
        headers = {
            "Origin": p.url,
            "Cookie": f"{COOKIE}={p.token}",
            "Accept": "text/html,application/xhtml+xml",
        }
        form = {"csrf_token": p.token, "next": "/circuit-breakers"}
        for action in ("/circuit-breakers/nope/reset", "/sync/nope/run", "/dlq/123/retry"):
            answer = await p.client.post(f"{p.url}{action}", data=form, headers=headers)
            assert answer.status_code == 404, (action, answer.text[:200])
            failure = re.search(r'<p id="failure">(.*?)</p>', answer.text, re.S)
            assert failure is not None, action
            assert "não existe registro" in failure.group(1), failure.group(1)
            assert not re.search(r"\bno (delivery|sync job|service)\b", answer.text), action
