"""Every request a page makes in Chromium is answered: a browser asks for more than the page
names (the tab's icon), and each miss is a console error on every page an operator opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, sync_playwright

from recado.testing.chromium import CHROMIUM, FLAGS
from recado.testing.daemon_process import DaemonProcess, write_config

PAGES = ["/dashboard", "/alerts", "/messages", "/report/daily", "/dlq", "/sync", "/nope"]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    tmp_path: Path = tmp_path_factory.mktemp("requests")
    process = DaemonProcess(write_config(tmp_path, ""), test_hooks=False).start()
    try:
        yield process
    finally:
        process.terminate()


def test_a_page_asks_for_nothing_the_server_does_not_have(daemon: DaemonProcess) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            for width in (1280, 390):
                # A fresh context per width: Chromium asks for the icon once per profile, and
                # reports the miss only as a console error (no response event).
                context = browser.new_context(
                    locale="pt-BR", viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                missed: list[str] = []

                def failed(message: ConsoleMessage, missed: list[str] = missed) -> None:
                    if message.type == "error":
                        missed.append(f"{message.location.get('url')}: {message.text}")

                page.on("console", failed)
                for path in PAGES:
                    page.goto(f"{daemon.operator_url}{path}")
                    page.wait_for_load_state("networkidle")
                # The 404 page's own status is the one miss a page may report.
                own = f"{daemon.operator_url}/nope: "
                assert [m for m in missed if not m.startswith(own)] == [], (width, missed)
                context.close()
        finally:
            browser.close()


FILTER_PAGES = ["/messages", "/alerts", "/report/daily", "/conversations", "/incidents"]


def test_a_filter_button_on_a_phone_reads_like_the_other_actions(daemon: DaemonProcess) -> None:
    # A page's own filter button kept the browser's small default text (13 px) beside
    # actions of 16 px: the one button a person taps most was the hardest to read.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(locale="pt-BR", viewport={"width": 390, "height": 900})
            for path in FILTER_PAGES:
                page.goto(f"{daemon.operator_url}{path}")
                button = page.locator('main form[method="get"] button[type="submit"]').first
                size = button.evaluate("b => parseFloat(getComputedStyle(b).fontSize)")
                body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
                assert size >= body, (path, size, body)
        finally:
            browser.close()
