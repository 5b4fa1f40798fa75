"""Every page of both listeners in real Chromium, on a desktop and on a phone: axe-core finds
no serious or critical violation, and at 390 px the page itself never scrolls sideways (a
wide table scrolls inside its own box).

The operator pages are found from the operator app's own GET routes, so a page added later is
walked without editing this test; the data behind them is seeded through the real APIs (a
booking and its notice, a client's message, an event whose delivery the service refuses, an
incident opened by hand).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import trio
import trio.testing
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect, sync_playwright

from recado.http.operator_app import create_operator_app
from recado.rules.voucher import voucher_key, voucher_url
from recado.testing.chromium import CHROMIUM, FLAGS
from tests.incident_helpers import CHAT_FLOW, Stack, incident_stack

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
BLOCKING = ("serious", "critical")
# What a finger taps: each must be at least 44 px high on a phone (WCAG 2.5.5, Apple's HIG).
ACTIONS = "button, a.button, summary, select, input[type=submit]"
SHORT_TARGETS = """(min) => [...document.querySelectorAll(ACTIONS)]
  .filter((e) => e.getClientRects().length && e.getBoundingClientRect().height < min)
  .map((e) => e.outerHTML.slice(0, 80))""".replace("ACTIONS", repr(ACTIONS))
# A control's name from a <label> or aria-label, not only its placeholder (which goes away as
# soon as a person types).
UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((e) => !["hidden", "submit", "button"].includes(e.type))
  .filter((e) => !e.labels.length && !e.getAttribute("aria-label")
    && !e.getAttribute("aria-labelledby"))
  .map((e) => e.outerHTML.slice(0, 80))"""
# Routes that answer something other than a page for people, by what they are.
NOT_PAGES = re.compile(r"\.(json|js|csv)$|^/(static|healthz|readyz|metrics|api)/?")
CLIENT = "5511987654321"


async def _seed(s: Stack) -> dict[str, str]:
    """One of each record a page shows; returns the values its routes take as arguments."""
    s.chat.fail(422)
    await s.book("apt-a11y")
    await s.inbound(CLIENT, "Oi, posso remarcar?")
    event = {
        "id": "pag-a11y",
        "type": "payment.received",
        "occurred_at": s.now().isoformat(timespec="seconds"),
        "data": {"id": "p1", "amount": 150},
    }
    answer = await s.client.post(
        f"{s.public}/api/v1/events", json=event, headers={"X-API-Key": s.daemon.api_key}
    )
    assert answer.status_code == 202, answer.text
    await s.until(lambda: bool(s.rows("SELECT id FROM deliveries WHERE state = 'dead'")), 120)
    await s.until(lambda: bool(s.rows("SELECT id FROM messages")), 120)
    opened = await s.post("/incidents", {"severity": "sev2", "title": "Lentidão no WhatsApp"})
    assert opened.status_code == 201, opened.text
    [dead] = s.rows("SELECT id FROM deliveries WHERE state = 'dead'")
    [message] = s.rows("SELECT id FROM messages ORDER BY id LIMIT 1")
    [incident] = s.incidents()
    return {
        "wa_id": CLIENT,
        "message_id": str(message["id"]),
        "delivery_id": str(dead["id"]),
        "event_id": "pag-a11y",
        "appointment_id": "apt-a11y",
        "incident_id": str(incident["id"]),
    }


def _operator_pages(s: Stack, values: dict[str, str]) -> list[str]:
    app = create_operator_app(s.daemon)
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or NOT_PAGES.search(rule.rule):
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"no seeded value for {rule.rule}: {missing}"
        paths.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule))
    return sorted(set(paths))


def _audit(browser: Browser, urls: dict[str, int], shots: Path) -> list[str]:
    problems: list[str] = []
    axe = Axe()
    for name, (width, height) in WIDTHS.items():
        context = browser.new_context(locale="pt-BR", viewport={"width": width, "height": height})
        page = context.new_page()
        for url, status in urls.items():
            response = page.goto(url)
            assert response is not None and response.status == status, url
            lang = page.evaluate("document.documentElement.lang")
            if lang != "pt-BR":
                problems.append(f"{name} {url}: lang is {lang!r}, not the studio's pt-BR")
            results: Any = axe.run(page).response
            for v in results["violations"]:
                if v["impact"] in BLOCKING:
                    targets = [n["target"] for n in v["nodes"]][:3]
                    problems.append(f"{name} {url}: {v['id']} ({v['impact']}) {targets}")
            for control in page.evaluate(UNLABELLED):
                problems.append(f"{name} {url}: a control without a label: {control}")
            if name == "phone":
                wide = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
                if wide > 0:
                    problems.append(f"phone {url}: the page scrolls sideways by {wide} px")
                for short in page.evaluate(SHORT_TARGETS, 44):
                    problems.append(f"phone {url}: a target under 44 px: {short}")
            slug = re.sub(r"\W+", "_", httpx.URL(url).path).strip("_") or "index"
            suffix = "" if status == 200 else f"-{status}"
            page.screenshot(path=str(shots / f"{name}-{slug}{suffix}.png"), full_page=True)
        context.close()
    return problems


def _menu_folds_on_a_phone(browser: Browser, dashboard: str) -> None:
    context = browser.new_context(locale="pt-BR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(dashboard)
    messages = page.get_by_role("link", name="Mensagens", exact=True)
    expect(messages).to_be_hidden()
    menu = page.get_by_text("Menu", exact=True)
    menu.click()
    expect(messages).to_be_visible()
    box = messages.bounding_box()
    assert box is not None and box["height"] >= 44
    messages.click()
    expect(page.locator("h1")).to_have_text("Mensagens")
    context.close()


def _walk(urls: dict[str, int], dashboard: str, shots: Path) -> list[str]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            _menu_folds_on_a_phone(browser, dashboard)
            return _audit(browser, urls, shots)
        finally:
            browser.close()


async def test_every_page_passes_axe_and_fits_a_phone(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = CHAT_FLOW.format(event="payment.received")
    async with incident_stack(daemon_dir, mock_clock, flows=flows) as s:
        values = await _seed(s)
        pages = _operator_pages(s, values)
        # The dashboard, the lists and each kind of detail page are all among them.
        assert {"/dashboard", "/messages", f"/incidents/{values['incident_id']}"} <= set(pages)
        urls = {s.operator + path: 200 for path in pages}
        urls[f"{s.public}/status"] = 200
        urls[voucher_url(s.public, voucher_key(s.daemon.secret_key), "apt-a11y")] = 200
        # The error pages people meet: an operator page that is not there, a bad voucher link.
        urls[f"{s.operator}/no-such-page"] = 404
        urls[f"{s.public}/voucher/apt-a11y?sig={'A' * 22}"] = 404
        # Screenshots at both widths, for a person to look at when a layout changes.
        shots = daemon_dir.parent / "screenshots"
        shots.mkdir()
        problems = await trio.to_thread.run_sync(_walk, urls, f"{s.operator}/dashboard", shots)
        assert not problems, "\n".join(problems)
