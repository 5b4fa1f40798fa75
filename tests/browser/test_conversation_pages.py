"""The conversations index in real Chromium: the search form finds a client by name, the
link opens their conversation, named the same way, with the window and the timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import trio
from playwright.sync_api import expect, sync_playwright

from recado.testing import webhook_bodies as wb
from recado.testing.chromium import CHROMIUM, FLAGS
from tests.webhook_helpers import deliver, webhook_daemon


def _browse(operator: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(locale="pt-BR")
            page.goto(f"{operator}/dashboard")
            page.get_by_role("link", name="Conversas").click()
            expect(page).to_have_url(re.compile(r"/conversations$"))
            expect(page.locator("#conversations tr")).to_have_count(3)  # header and two
            page.get_by_placeholder("Nome ou número").fill("bia")
            page.get_by_role("button", name="Buscar").click()
            expect(page).to_have_url(re.compile(r"/conversations\?q=bia$"))
            rows = page.locator("#conversations tr")
            expect(rows).to_have_count(2)
            expect(rows.nth(1)).to_contain_text("Bia Lima")
            expect(rows.nth(1)).to_contain_text("(21) 91234-5678")
            expect(rows.nth(1)).to_contain_text(re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"))
            page.get_by_role("link", name="Bia Lima").click()
            expect(page).to_have_url(re.compile(r"/conversations/5521912345678$"))
            expect(page.locator("h1")).to_have_text("Bia Lima (21) 91234-5678")
            expect(page.locator("#window")).to_contain_text("Janela de 24 h aberta")
            expect(page.locator("#activity")).to_contain_text("Tem horário amanhã?")
        finally:
            browser.close()


async def test_search_and_open_a_conversation(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        now = int(datetime.now(UTC).timestamp())
        await deliver(
            daemon,
            client,
            wb.inbound_text("Oi", wa_id="5511987654321", name="Ana Souza", ts=now - 600),
            wb.inbound_text("Tem horário amanhã?", wa_id="5521912345678", name="Bia Lima", ts=now),
        )
        operator = daemon.listeners["operator"].url
        assert operator is not None
        await trio.to_thread.run_sync(_browse, operator)
