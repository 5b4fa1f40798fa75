"""The guide's evening routine on the messages, in real Chromium (issue 15): two clients
booked through the real events API, their notices sent to the Graph double and delivered;
the operator finds one client by the number as people write it, and another by the
surname typed in capitals, reads the client's rows by name, opens a timeline and reads it in
pt-BR, discards a reminder from its page, picks the day of the report and downloads the
CSVs, reading their rows. Every step asserts what a person sees."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import trio
import trio.testing
from playwright.sync_api import Browser, Page, expect, sync_playwright

from recado.testing.chromium import CHROMIUM, FLAGS
from tests.incident_helpers import CHAT_FLOW, Stack, incident_stack

ANA = ("Ana Souza", "+5511987654321")
BRUNO = ("Bruno Lima", "+5521912345678")
LOCAL_TIME = r"\d\d/\d\d/\d{4} \d\d:\d\d"


async def _book(s: Stack, apt: str, client: tuple[str, str]) -> None:
    name, phone = client
    body = {
        "id": f"evt-{apt}",
        "type": "appointment.created",
        "occurred_at": s.now().isoformat(timespec="seconds"),
        "data": {
            "appointment_id": apt,
            "client": {"name": name, "phone": phone},
            "service": "Corte",
            "starts_at": (s.now() + timedelta(days=2)).isoformat(timespec="seconds"),
        },
    }
    answer = await s.client.post(
        f"{s.public}/api/v1/events", json=body, headers={"X-API-Key": s.daemon.api_key}
    )
    assert answer.status_code == 202, answer.text


def _csv_rows(path: str) -> list[list[str]]:
    raw = Path(path).read_bytes()
    assert raw.startswith("\ufeff".encode()), "no BOM: Excel would misread the accents"
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def _messages_of_one_client(page: Page, operator: str, downloads: Path) -> None:
    page.goto(f"{operator}/messages")
    rows = page.locator("#messages tr:not(.card-head)")
    expect(rows.filter(has_text="Bruno Lima")).to_have_count(2)
    page.get_by_label("Telefone do cliente").fill("(11) 98765-4321")
    page.get_by_role("button", name="Filtrar").click()
    expect(page).to_have_url(re.compile(r"phone=%2811%29"))
    expect(page.get_by_label("Telefone do cliente")).to_have_value("(11) 98765-4321")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Ana Souza")).to_have_count(2)
    expect(page.locator("#messages")).not_to_contain_text("Bruno Lima")
    notice = rows.filter(has_text="Aviso de agendamento")
    expect(notice).to_contain_text("entregue")
    expect(notice.locator(".goes-out")).to_have_text(re.compile(rf"^saiu em {LOCAL_TIME}$"))
    reminder = rows.filter(has_text="Lembrete 24 h")
    expect(reminder).to_contain_text("na fila")
    expect(reminder.locator(".goes-out")).to_have_text(re.compile(rf"^sai em {LOCAL_TIME}$"))
    with page.expect_download() as info:
        page.get_by_role("link", name="Baixar CSV").click()
    saved = downloads / info.value.suggested_filename
    info.value.save_as(saved)
    rows_csv = _csv_rows(str(saved))
    assert rows_csv[0][1:5] == ["cliente", "telefone", "tipo", "estado"]
    assert sorted((r[1], r[2], r[3], r[4]) for r in rows_csv[1:]) == [
        ("Ana Souza", "(11) 98765-4321", "Aviso de agendamento", "entregue"),
        ("Ana Souza", "(11) 98765-4321", "Lembrete 24 h", "na fila"),
    ]


def _messages_by_name(page: Page, operator: str) -> None:
    """A receptionist types the surname as she heard it, in capitals, and sees that
    client's rows only, the client named with the number; then a name nobody has."""
    page.goto(f"{operator}/messages")
    rows = page.locator("#messages tr:not(.card-head)")
    page.get_by_label("Nome do cliente").fill("LIMA")
    page.get_by_role("button", name="Filtrar").click()
    expect(page).to_have_url(re.compile(r"name=LIMA"))
    expect(page.get_by_label("Nome do cliente")).to_have_value("LIMA")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Bruno Lima")).to_have_count(2)
    expect(page.locator("#messages")).not_to_contain_text("Ana Souza")
    expect(page.locator("#clients-found")).to_contain_text("Bruno Lima (21) 91234-5678")
    expect(page.locator("#messages-csv")).to_have_attribute("href", re.compile(r"name=LIMA"))
    page.get_by_label("Nome do cliente").fill("Zuleica")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("#clients-found")).to_have_text("Nenhum cliente com esse nome.")
    expect(rows).to_have_count(1)  # the row saying there is nothing


def _timelines(page: Page, operator: str) -> None:
    page.goto(f"{operator}/messages?phone=11987654321&kind=appointment_created")
    page.locator("#messages").get_by_role("link", name="Ana Souza").click()
    expect(page.locator("h1")).to_contain_text("Aviso de agendamento")
    expect(page.locator("#client")).to_contain_text("Ana Souza")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Criada na fila")
    expect(timeline).to_contain_text("Tentativa 1")
    expect(timeline).to_contain_text("aceita pela Meta")
    expect(timeline).to_contain_text("Status da Meta: entregue")
    expect(timeline).not_to_contain_text("delivered")
    expect(page.locator("#content .params")).to_contain_text("Ana Souza")
    page.get_by_role("link", name="Conversa com o cliente").click()
    expect(page).to_have_url(re.compile(r"/conversations/5511987654321$"))

    page.goto(f"{operator}/messages?phone=%2B55+11+98765-4321&kind=appointment_reminder")
    page.locator("#messages").get_by_role("link", name="Ana Souza").click()
    expect(page.locator("#state")).to_have_text("na fila")
    page.get_by_role("button", name="Descartar").click()
    expect(page.locator("#state")).to_have_text("cancelada")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Operador descartou")
    expect(timeline.locator("tr", has_text="Operador descartou")).to_contain_text("na fila")
    expect(timeline.locator("tr", has_text="Cancelada")).to_contain_text("Descartada")


def _report(page: Page, operator: str, day: date, downloads: Path) -> None:
    page.goto(f"{operator}/report/daily?date={(day - timedelta(days=1)).isoformat()}")
    expect(page.locator("#report-chart")).to_contain_text("nenhum")
    page.get_by_label("Dia", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Ver relatório").click()
    expect(page.locator("h1")).to_contain_text(day.strftime("%d/%m/%Y"))
    _report_chart(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Baixar CSV do dia").click()
    assert info.value.suggested_filename == f"report-{day.isoformat()}.csv"
    saved = downloads / info.value.suggested_filename
    info.value.save_as(saved)
    table = {(r[0], r[1]): r[2] for r in _csv_rows(str(saved))[1:]}
    assert table[("mensagens", "entregue")] == "2"
    assert table[("mensagens", "na fila")] == "1"
    assert table[("mensagens", "cancelada")] == "1"
    assert table[("eventos", "total")] == "2"


# The pixels of a canvas that are not transparent: uPlot drew something there.
INKED = """c => { const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""


def _report_chart(page: Page) -> None:
    """The day's bars drawn by uPlot, one per state, one for the deliveries done and one for
    those not (yet), named in pt-BR in the legend; the table under them (what a screen reader
    reads) holds the same numbers as the report's own tables."""
    chart = page.locator("#report-chart")
    table = chart.locator("#report-chart-table")
    expect(table.locator("tr", has_text="entregue")).to_contain_text("2")
    expect(table.locator("tr", has_text="na fila")).to_contain_text("1")
    expect(table.locator("tr", has_text="cancelada")).to_contain_text("1")
    # Both bookings delivered to the service: the same 2 as the report's deliveries table.
    expect(page.locator("#report-deliveries td")).to_have_text(["2", "2", "0"])
    expect(table.locator("tr", has_text="Entregas feitas").locator("td")).to_have_text("2")
    not_done = table.locator("tr", has_text="Entregas não concluídas (falharam ou aguardam)")
    expect(not_done.locator("td")).to_have_text("0")
    messages = chart.locator("#chart-messages")
    expect(messages).to_have_attribute("aria-hidden", "true")
    expect(messages.locator(".uplot canvas")).to_have_count(1)
    expect(messages.locator(".chart-title")).to_have_text("Mensagens do dia por estado")
    expect(messages.locator(".chart-legend span")).to_have_text(
        ["cancelada", "entregue", "na fila"]
    )
    assert messages.locator("canvas").evaluate(INKED) > 500, "the bars were not drawn"
    deliveries = chart.locator("#chart-deliveries")
    expect(deliveries.locator(".chart-legend span")).to_have_text(
        ["Entregas feitas", "Entregas não concluídas (falharam ou aguardam)"]
    )
    assert deliveries.locator("canvas").evaluate(INKED) > 500, "the delivery bars were not drawn"


def _report_on_a_phone(browser: Browser, operator: str, day: date) -> None:
    context = browser.new_context(locale="pt-BR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{operator}/report/daily?date={day.isoformat()}")
    _report_chart(page)
    wide = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the report scrolls sideways by {wide} px at 390 px"
    context.close()


def _routine(operator: str, day: date, downloads: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            for width in (1280, 390):
                context = browser.new_context(
                    locale="pt-BR", viewport={"width": width, "height": 900}, accept_downloads=True
                )
                page = context.new_page()
                _messages_of_one_client(page, operator, downloads)
                wide = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
                assert wide <= 0, f"/messages scrolls sideways by {wide} px at {width} px"
                context.close()
            page = browser.new_page(locale="pt-BR", accept_downloads=True)
            _messages_by_name(page, operator)
            _timelines(page, operator)
            _report(page, operator, day, downloads)
            _report_on_a_phone(browser, operator, day)
        finally:
            browser.close()


async def test_find_a_client_read_a_timeline_and_download_csvs(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    # Each booking is also delivered to a service (the chat double), so the report has
    # deliveries to draw.
    flows = CHAT_FLOW.format(event="appointment.created")
    async with incident_stack(daemon_dir, mock_clock, flows=flows) as s:
        await _book(s, "apt-ana", ANA)
        await _book(s, "apt-bruno", BRUNO)
        delivered = "SELECT id FROM messages WHERE state = 'delivered'"
        await s.until(lambda: len(s.rows(delivered)) == 2, 120)
        done = "SELECT id FROM deliveries WHERE state = 'done'"
        await s.until(lambda: len(s.rows(done)) == 2, 120)
        day = s.now().astimezone(ZoneInfo(s.daemon.config.daemon.timezone)).date()
        downloads = daemon_dir.parent / "downloads"
        downloads.mkdir()
        await trio.to_thread.run_sync(_routine, s.operator, day, downloads)
