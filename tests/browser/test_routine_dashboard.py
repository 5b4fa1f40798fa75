"""The operations guide's morning routine in real Chromium, on data made through the real
APIs (a booking Meta delivers, payments the studio's chat service refuses, the service
down until its breaker opens, the kill switch, an incident opened by hand): read the status
and its reasons, follow each reason's link to what fixes it, go down the checklist and
today's counters, acknowledge an alert, resolve it and find it under the resolved ones, and
retry a DLQ item from its page. Every step asserts what a person reads."""

from __future__ import annotations

import re
from pathlib import Path

import trio
import trio.testing
from playwright.sync_api import Browser, Page, expect, sync_playwright

from recado.testing.chromium import CHROMIUM, FLAGS
from tests.incident_helpers import CHAT_FLOW, Stack, incident_stack

# What a person must see on the page each reason's link leads to.
AFTER_FIX = {
    "event_success": ("Fila de falhas (DLQ)", "#dlq", "O serviço recusou o pedido (HTTP 422)"),
    "breaker_open": ("Disjuntores", "#breakers", "aberto (entregas em espera)"),
    "kill_switch": ("Incidentes", "main", "Lentidão no WhatsApp"),
}


async def _event(s: Stack, event_id: str) -> None:
    event = {
        "id": event_id,
        "type": "payment.received",
        "occurred_at": s.now().isoformat(timespec="seconds"),
        "data": {"id": event_id, "amount": 150},
    }
    answer = await s.client.post(
        f"{s.public}/api/v1/events", json=event, headers={"X-API-Key": s.daemon.api_key}
    )
    assert answer.status_code == 202, answer.text


async def _seed(s: Stack) -> None:
    await s.book("apt-rotina")
    await s.until(lambda: bool(s.rows("SELECT id FROM messages WHERE state = 'delivered'")), 120)
    s.chat.fail(422)
    for n in range(3):
        await _event(s, f"pag-{n}")
    await s.until(lambda: len(s.rows("SELECT id FROM deliveries WHERE state = 'dead'")) == 3, 120)
    # The service goes down: its breaker opens after three failures in a row.
    s.chat.fail(503)
    await _event(s, "pag-503")
    await s.until(lambda: bool(s.rows("SELECT 1 FROM breakers WHERE state = 'open'")), 600)
    answer = await s.post("/whatsapp/kill-switch", {"on": True})
    assert answer.status_code == 200, answer.text
    opened = await s.post("/incidents", {"severity": "sev2", "title": "Lentidão no WhatsApp"})
    assert opened.status_code == 201, opened.text


def _status_and_reasons(page: Page, dashboard: str) -> None:
    page.goto(dashboard)
    expect(page.locator("#status")).to_have_text("Degradado")
    reasons = page.locator("#reasons li")
    codes = [reasons.nth(i).get_attribute("data-code") for i in range(reasons.count())]
    assert set(codes) == set(AFTER_FIX), codes
    expect(page.locator("#reasons li[data-code=breaker_open]")).to_contain_text(
        "O serviço chat está com o disjuntor aberto"
    )
    for code, (title, where, seen) in AFTER_FIX.items():
        page.goto(dashboard)
        fix = page.locator(f"#reasons li[data-code={code}] a.fix")
        # Phrased as what to do, not as what is wrong.
        expect(fix).to_have_text(re.compile(r"^(Veja|Confira|Desligue)"))
        fix.click()
        expect(page.locator("h1")).to_contain_text(title)
        expect(page.locator(where).first).to_contain_text(seen)


def _checklist_and_today(page: Page, dashboard: str) -> None:
    page.goto(dashboard)
    check = page.locator("#checklist")
    expect(check.locator("li[data-key=healthy]")).to_contain_text("degradado: 3 motivo(s) acima")
    expect(check.locator("li[data-key=healthy]")).to_have_class(re.compile(r"\btodo\b"))
    expect(check.locator("li[data-key=whatsapp]")).to_contain_text("a Meta aceita os envios")
    expect(check.locator("li[data-key=critical_alerts]")).to_contain_text("nenhum")
    expect(check.locator("li[data-key=dlq]")).to_contain_text("3 item(ns)")
    expect(check.locator("li[data-key=dlq]")).to_have_class(re.compile(r"\bok\b"))
    expect(check.locator("li[data-key=sync]")).to_contain_text("nenhuma sincronização")
    messages = page.locator("#today-messages")
    expect(messages.locator("tr", has_text="Enviadas")).to_contain_text("1")
    expect(messages.locator("tr", has_text="Entregues")).to_contain_text("1")
    # The booking's reminder waits for its day.
    expect(messages.locator("tr", has_text="Aguardando")).to_contain_text("1")
    events = page.locator("#today-events tr", has_text="Sucesso")
    expect(events).to_contain_text("abaixo da meta de 95 %")
    # The rate is written as pt-BR writes numbers: a decimal comma.
    expect(events.locator(".rate")).to_have_text(re.compile(r"^\d{1,3},\d%$"))
    deliveries = page.locator("#today-deliveries")
    expect(deliveries.locator("tr", has_text="Falharam")).to_contain_text("3")
    # The chart is drawn, and its numbers are in the table for anyone without it.
    expect(page.locator("#chart-messages canvas")).to_have_count(1)
    expect(page.locator("#chart-deliveries canvas")).to_have_count(1)
    today = page.locator("#chart-table tr").last
    expect(today.locator("td").first).to_have_text("01/12")
    expect(today.locator("td").nth(7)).to_have_text("4")  # deliveries made today
    expect(today.locator("td").nth(8)).to_have_text("3")  # of them, failed


def _acknowledge_then_resolve(page: Page, dashboard: str) -> None:
    page.goto(dashboard)
    alert = page.locator("#open-alerts li", has_text="Incidente #1 aberto")
    alert.get_by_role("link", name="Abrir").click()
    expect(page.locator("h1")).to_contain_text("Incidente #1: Lentidão no WhatsApp")
    page.goto(dashboard)
    breaker = page.locator("#open-alerts li", has_text='O serviço "chat" falhou')
    breaker.get_by_role("link", name="Abrir").click()
    expect(page).to_have_url(re.compile(r"/circuit-breakers#breaker-chat$"))
    expect(page.locator("#breaker-chat")).to_contain_text("aberto")

    page.goto(dashboard)
    alert.get_by_role("button", name="Reconhecer").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(alert).to_contain_text(re.compile(r"Reconhecido em \d\d/\d\d/\d{4} \d\d:\d\d por "))
    expect(alert.get_by_role("button", name="Reconhecer")).to_have_count(0)
    # Acknowledged is still open: the alerts page lists it under "reconhecidos".
    page.goto(dashboard.replace("/dashboard", "/alerts?state=acknowledged"))
    expect(page.locator("#alerts")).to_contain_text("Incidente #1 aberto")

    page.goto(dashboard)
    alert.get_by_role("button", name="Resolver").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(alert).to_have_count(0)
    page.goto(dashboard.replace("/dashboard", "/alerts"))
    expect(page.locator("#alerts")).not_to_contain_text("Incidente #1 aberto")
    page.get_by_label("Situação").select_option(label="resolvidos")
    page.get_by_role("button", name="Filtrar").click()
    expect(page).to_have_url(re.compile(r"state=resolved"))
    row = page.locator("#alerts tr", has_text="Incidente #1 aberto")
    expect(row.locator(".alert-state")).to_contain_text(re.compile(r"Resolvido em \d\d/\d\d/"))
    page.goto(dashboard.replace("/dashboard", "/audit"))
    expect(page.locator("main")).to_contain_text("alert.acknowledge")
    expect(page.locator("main")).to_contain_text("alert.resolve")


def _retry_from_the_dlq(page: Page, dashboard: str) -> None:
    page.goto(dashboard)
    page.locator("#checklist li[data-key=dlq] a").click()
    expect(page.locator("#dlq-total")).to_have_text("3")
    row = page.locator("#dlq tr", has_text="pag-0")
    row.get_by_role("button", name="Tentar de novo").click()
    expect(page).to_have_url(re.compile(r"/dlq$"))
    expect(page.locator("#dlq-total")).to_have_text("2")
    expect(page.locator("#dlq")).not_to_contain_text("pag-0")
    page.goto(dashboard)
    expect(page.locator("#checklist li[data-key=dlq]")).to_contain_text("2 item(ns)")


def _fits_a_phone(browser: Browser, dashboard: str) -> None:
    context = browser.new_context(locale="pt-BR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(dashboard)
    expect(page.locator("#chart-messages canvas")).to_have_count(1)
    wide = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the dashboard scrolls sideways by {wide} px at 390 px"
    # The 14 days stay a grid in their own scrolling box, not 14 cards of 9 lines each.
    grid = page.locator("#chart-table")
    assert "cards" not in (grid.get_attribute("class") or "")
    assert grid.bounding_box()["height"] < 844, "the 14 days' table is taller than a phone"  # type: ignore[index]
    context.close()


def _routine(dashboard: str, shots: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(locale="pt-BR", viewport={"width": 1280, "height": 900})
            _status_and_reasons(page, dashboard)
            _checklist_and_today(page, dashboard)
            page.goto(dashboard)
            page.screenshot(path=str(shots / "routine-dashboard.png"), full_page=True)
            _fits_a_phone(browser, dashboard)
            _acknowledge_then_resolve(page, dashboard)
            _retry_from_the_dlq(page, dashboard)
        finally:
            browser.close()


async def test_the_morning_routine_on_the_dashboard(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = CHAT_FLOW.format(event="payment.received")
    async with incident_stack(daemon_dir, mock_clock, flows=flows) as s:
        await _seed(s)
        shots = daemon_dir.parent / "shots"
        shots.mkdir()
        await trio.to_thread.run_sync(_routine, f"{s.operator}/dashboard", shots)
