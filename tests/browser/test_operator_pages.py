"""The operator pages in real Chromium: what a person at the studio sees after a delivery
gave up, in pt-BR, with times in the studio's zone."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from recado.testing.chromium import CHROMIUM, FLAGS
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import service_double_process


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    tmp_path = tmp_path_factory.mktemp("pages")
    with service_double_process(fail=422) as sink_url:
        yield from _daemon(tmp_path, sink_url)


def _daemon(tmp_path: Path, sink_url: str) -> Iterator[DaemonProcess]:
    config = write_config(
        tmp_path,
        f'[[services]]\nname = "financeiro"\nbase_url = "{sink_url}"\n'
        '[[flows]]\nevent = "payment.received"\nactions = ["http:financeiro:POST:/pagamentos"]\n'
        '[[sync]]\nname = "crm_noturno"\nschedule = "0 3 * * *"\n'
        'source = "financeiro:GET:/c?since={cursor}"\ntarget = "financeiro:POST:/d"\n',
    )
    process = DaemonProcess(config, test_hooks=False).start()
    try:
        key = (process.data_dir / "api_key").read_text().strip()
        answer = httpx.post(
            f"{process.public_url}/api/v1/events",
            json={
                "id": "pag_77",
                "type": "payment.received",
                "occurred_at": "2026-11-26T10:00:00-03:00",
                "data": {"id": "p77", "amount": 150},
            },
            headers={"X-API-Key": key},
        )
        assert answer.status_code == 202
        deadline = time.monotonic() + 15
        while httpx.get(f"{process.operator_url}/dlq.json").json()["total"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()


def _open(browser: Browser, url: str) -> Page:
    page = browser.new_page(locale="pt-BR")
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


def test_dead_delivery_from_dashboard_to_its_history(
    browser: Browser, daemon: DaemonProcess
) -> None:
    page = _open(browser, f"{daemon.operator_url}/dashboard")
    expect(page.locator("#status")).to_have_text("Degradado")
    hub = page.locator("#hub")
    expect(hub).to_contain_text("Fila de falhas (DLQ)")
    expect(hub.locator("tr", has_text="Fila de falhas")).to_contain_text("1")

    page.get_by_role("link", name="Fila de falhas (DLQ)").first.click()
    expect(page).to_have_url(re.compile(r"/dlq$"))
    row = page.locator("#dlq tr", has_text="pag_77")
    expect(row).to_contain_text("http:financeiro:POST:/pagamentos")
    expect(row).to_contain_text("O serviço recusou o pedido (HTTP 422)")
    expect(row.locator("td").nth(5)).to_have_text(re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"))
    expect(page.locator("#dlq-total")).to_have_text("1")
    expect(page.get_by_text("recado dlq retry")).to_be_visible()

    row.get_by_role("link", name="pag_77").click()
    expect(page.locator("#event")).to_contain_text("sistema do estúdio (API)")
    expect(page.locator("#deliveries")).to_contain_text("desistida")
    expect(page.locator("#data")).to_contain_text('"amount": 150')
    page.go_back()
    row.get_by_role("link", name=re.compile(r"^\d+$")).click()
    history = page.locator("#history")
    expect(history).to_contain_text("recusa definitiva")
    expect(history).to_contain_text("422")
    expect(page.locator("#delivery")).to_contain_text("desistida")


def test_breakers_sync_and_report_pages(browser: Browser, daemon: DaemonProcess) -> None:
    page = _open(browser, f"{daemon.operator_url}/circuit-breakers")
    expect(page.locator("#breakers tr", has_text="financeiro")).to_contain_text("fechado (normal)")

    page = _open(browser, f"{daemon.operator_url}/sync")
    job = page.locator("section.sync-job", has_text="crm_noturno")
    expect(job).to_contain_text("0 3 * * *")
    expect(job).to_contain_text("recado sync run crm_noturno")

    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    page = _open(browser, f"{daemon.operator_url}/report/daily?date={today.isoformat()}")
    expect(page.locator("h1")).to_contain_text(today.strftime("%d/%m/%Y"))
    cells = page.locator("#report-deliveries tr").nth(1).locator("td")
    expect(cells).to_have_text(["1", "0", "1"])  # total, succeeded, new dead letters
    expect(page.locator("#report-events tr").nth(1).locator("td")).to_have_text(["1", "0", "1"])


def test_every_page_in_the_menu_renders(browser: Browser, daemon: DaemonProcess) -> None:
    page = _open(browser, f"{daemon.operator_url}/dashboard")
    links = page.locator("header a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 8
    for href in hrefs:
        response = page.goto(f"{daemon.operator_url}{href}")
        assert response is not None and response.status == 200, href
        expect(page.locator("h1").first).to_be_visible()
        expect(page.locator("header")).to_contain_text("recado")


def test_retry_from_the_page_and_the_token_that_guards_it(
    browser: Browser, daemon: DaemonProcess
) -> None:
    page = _open(browser, f"{daemon.operator_url}/dlq")
    item = page.locator("#dlq tr", has_text="pag_77")
    item.get_by_role("link", name=re.compile(r"^\d+$")).click()
    expect(page.locator("#history tr")).to_have_count(2)  # header and one attempt
    page.locator("#retry button").click()
    expect(page).to_have_url(re.compile(r"/dlq/\d+$"))
    # The service still refuses: a second attempt, and the item is back in the DLQ.
    for _ in range(50):
        if page.locator("#history tr").count() == 3:
            break
        time.sleep(0.1)
        page.reload()
    expect(page.locator("#history tr")).to_have_count(3)
    expect(page.locator("#delivery")).to_contain_text("desistida")

    # Retrying what is not in the DLQ: a page that says why, in pt-BR.
    page.goto(f"{daemon.operator_url}/circuit-breakers")
    token = page.context.cookies()[0]["value"]
    # Playwright's request API is not the browser: it says where it comes from only when told.
    own = {"Origin": daemon.operator_url}
    answer = page.request.post(
        f"{daemon.operator_url}/dlq/999/retry",
        form={"csrf_token": token, "next": "/dlq"},
        headers=own,
        max_redirects=0,
    )
    assert answer.status == 404 and "no delivery 999" in answer.text()

    # Without the page's cookie (another site posting), with another token, or from
    # elsewhere: refused.
    url = f"{daemon.operator_url}/circuit-breakers/financeiro/reset"
    assert httpx.post(url, data={"csrf_token": token}, headers=own).status_code == 401
    jar = {**own, "Cookie": f"recado_csrf={token}"}
    assert httpx.post(url, data={"csrf_token": "x" * 43}, headers=jar).status_code == 401
    from_elsewhere = {**jar, "Origin": "http://evil.example"}
    from_nowhere = {"Cookie": f"recado_csrf={token}"}
    for headers in (from_elsewhere, from_nowhere):
        refused = httpx.post(url, data={"csrf_token": token}, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "cross_site"
    ok = httpx.post(url, data={"csrf_token": token, "next": "/\\evil.example"}, headers=jar)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    audit = httpx.get(f"{daemon.operator_url}/audit.json").json()["items"]
    assert {"dlq.retry", "breaker.reset"} <= {a["action"] for a in audit}


def test_errors_are_pages_a_person_can_read(browser: Browser, daemon: DaemonProcess) -> None:
    page = browser.new_page(locale="pt-BR")
    for path, status, title in (
        ("/nao-existe", 404, "Página não encontrada"),
        ("/dlq/99999999999999999999999", 404, "Página não encontrada"),
        ("/messages?date=9999-12-31", 422, "Valor inválido"),
    ):
        answer = page.goto(f"{daemon.operator_url}{path}")
        assert answer is not None and answer.status == status, path
        expect(page.locator("#error-title")).to_have_text(title)
    page.get_by_role("link", name="Voltar ao painel").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    answer = page.goto(f"{daemon.public_url}/voucher/apt-1?sig=AAAAAAAAAAAAAAAAAAAAAA")
    assert answer is not None and answer.status == 404
    expect(page.locator("#error-title")).to_have_text("Comprovante não encontrado")
