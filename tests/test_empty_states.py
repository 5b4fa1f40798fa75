"""An operator page with nothing to show says why, in the studio's language, and, when the
reason is a missing config section, shows the snippet that adds it (issue 15, item 4). The
snippets are read by the real config loader, so they cannot drift from the schema."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from markupsafe import escape

from recado.config.loading import load_config
from recado.http.empty_states import CONFIGURED, SNIPPETS, empty_state
from recado.http.i18n import translate
from recado.http.texts.empty import TEXT_EN, TEXT_PT
from recado.testing.daemon_process import write_config
from tests.conftest import running_daemon

# page -> (path, the empty block's id) of the pages whose rows come from a config section.
NOT_CONFIGURED = {
    "breakers": "/circuit-breakers",
    "sync": "/sync",
    "dlq": "/dlq",
    "backups": "/backups",
}
# Pages whose rows come from the outside world or the team: they only say when rows appear.
NOTHING_YET = {
    "alerts": "/alerts",
    "alerts_all": "/alerts?all=1",
    "incidents": "/incidents",
    "conversations": "/conversations",
    "messages": "/messages",
    "webhooks": "/webhooks",
    "webhooks_set_aside": "/webhooks",
    "audit": "/audit",
    "dlq_archived": "/dlq?state=archived",
    "templates_recent": "/templates",
}
CONFIGURED_TOML = (
    '[[services]]\nname = "crm"\nbase_url = "http://127.0.0.1:9"\n'
    '[[flows]]\nevent = "lead.created"\nactions = ["http:crm:POST:/leads"]\n'
    '[[sync]]\nname = "clients"\nschedule = "0 3 1 1 *"\n'
    'source = "crm:GET:/clients"\ntarget = "crm:POST:/clients"\n'
)


@pytest.mark.parametrize("page", sorted(SNIPPETS))
def test_each_snippet_is_a_config_the_real_loader_reads_and_it_fills_its_page(
    tmp_path: Path, page: str
) -> None:
    event = "appointment.created"
    snippet = SNIPPETS[page].replace("{event}", event)
    bare = load_config(write_config(tmp_path / "bare"))
    assert not CONFIGURED[page](bare, event)
    assert empty_state(bare, page, event).snippet == snippet
    # The loader refuses unknown keys, wrong types and dangling references, all at once.
    cfg = load_config(write_config(tmp_path / "with", "\n" + snippet))
    assert CONFIGURED[page](cfg, event), page
    assert empty_state(cfg, page, event).snippet == ""


def test_every_empty_word_is_in_both_languages() -> None:
    assert set(TEXT_PT) == set(TEXT_EN)
    for page in [*NOT_CONFIGURED, "deliveries"]:
        assert f"empty.{page}.not_configured" in TEXT_PT
    for page in [*NOT_CONFIGURED, *NOTHING_YET, "deliveries", "sync_runs", "conversation"]:
        if page not in ("sync",):
            assert f"empty.{page}.nothing_yet" in TEXT_PT, page


def _block(html: str, page: str) -> str:
    found = re.search(rf'<div class="empty" id="empty-{page}"[^>]*>.*?</div>', html, re.S)
    assert found is not None, (page, html[-2000:])
    return found.group(0)


async def _event(client: httpx.AsyncClient, public: str, key: str, etype: str) -> str:
    eid = f"evt-{etype}"
    body = {
        "id": eid,
        "type": etype,
        "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {"id": eid},
    }
    answer = await client.post(f"{public}/api/v1/events", json=body, headers={"X-API-Key": key})
    assert answer.status_code == 202, answer.text
    return eid


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
async def test_a_page_fed_by_a_missing_section_says_what_to_configure(
    daemon_dir: Path, locale: str
) -> None:
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    async with running_daemon(daemon_dir, extra) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        pages = dict(NOT_CONFIGURED)
        eid = await _event(client, daemon.listeners["public"].url, daemon.api_key, "lead.created")
        pages["deliveries"] = f"/events/{eid}"
        for page, path in pages.items():
            html = (await client.get(f"{op}{path}")).text
            block = _block(html, page)
            assert 'data-configured="no"' in block, page
            assert str(escape(translate(locale, f"empty.{page}.not_configured"))) in block
            todo = "empty.todo" if page == "backups" else "empty.todo_service"
            assert str(escape(translate(locale, todo))) in block, page
            snippet = SNIPPETS[page].replace("{event}", "lead.created")
            assert f"<code>{escape(snippet)}</code>" in block, (page, block)


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
async def test_a_configured_page_with_nothing_yet_says_when_rows_appear(
    daemon_dir: Path, locale: str
) -> None:
    extra = CONFIGURED_TOML + ('[ui]\nlocale = "en"\n' if locale == "en" else "")
    async with running_daemon(daemon_dir, extra) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        public = daemon.listeners["public"].url
        pages = {**NOTHING_YET, "dlq": "/dlq", "sync_runs": "/sync"}
        # An event of a type no flow takes: stored, delivered nowhere, and it says so.
        other = await _event(client, public, daemon.api_key, "payment.received")
        pages["deliveries"] = f"/events/{other}"
        for page, path in pages.items():
            html = (await client.get(f"{op}{path}")).text
            block = _block(html, page)
            assert 'data-configured="yes"' in block or page == "deliveries", page
            key = "not_configured" if page == "deliveries" else "nothing_yet"
            assert str(escape(translate(locale, f"empty.{page}.{key}"))) in block, page
            if page != "deliveries":
                assert "empty-snippet" not in block, page
        # The breakers page lists the service: it is not empty at all.
        html = (await client.get(f"{op}/circuit-breakers")).text
        assert 'id="empty-breakers"' not in html and "<td>crm</td>" in html
        # A filter that matches nothing says so, not that nothing exists.
        for path in ("/messages?state=failed", "/conversations?q=zzz", "/incidents?state=open"):
            html = (await client.get(f"{op}{path}")).text
            assert str(escape(translate(locale, "empty.filtered"))) in html, path
