"""Connect WhatsApp in real Chromium: the page loads the JS SDK stand-in the Graph double
serves (its origin configured, so the page's origin check is the production code), the
stand-in plays Meta's popup, and each ending lands in its state on the page, with its audit
rows and analytics events. Screenshots of each state go to docs/screenshots/."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio
from playwright.sync_api import Browser, Page, expect, sync_playwright

from recado.testing.chromium import CHROMIUM, FLAGS
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble
from recado.testing.sdk_standin import Popup
from recado.testing.signup_double import COEXISTENCE, NEW_NUMBER
from tests.signup_helpers import signup_double, signup_toml
from tests.webhook_helpers import write_secrets

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class DoubleThread:
    """The Graph double (and the SDK stand-in) on its own trio loop, beside the sync test."""

    def __init__(self, double: GraphDouble) -> None:
        self.double = double
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel: trio.CancelScope | None = None
        self._thread = threading.Thread(target=lambda: trio.run(self._main), daemon=True)

    async def _main(self) -> None:
        with trio.CancelScope() as scope:
            self._cancel = scope
            async with trio.open_nursery() as nursery:
                await nursery.start(self.double.serve)
                self._token = trio.lowlevel.current_trio_token()
                self._ready.set()
                await trio.sleep_forever()

    def __enter__(self) -> GraphDouble:
        self._thread.start()
        assert self._ready.wait(10)
        return self.double

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None and self._cancel is not None
        trio.from_thread.run_sync(self._cancel.cancel, trio_token=self._token)
        self._thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DaemonProcess, GraphDouble]]:
    directory = tmp_path_factory.mktemp("connect")
    write_secrets(directory)
    with DoubleThread(signup_double()) as double:
        config = write_config(directory, signup_toml(double))
        process = DaemonProcess(config, test_hooks=False).start()
        try:
            yield process, double
        finally:
            process.terminate()


def _rows(process: DaemonProcess, sql: str) -> list[dict[str, Any]]:
    with sqlite3.connect(process.data_dir / "recado.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql)]


def _events(process: DaemonProcess) -> list[tuple[str, dict[str, Any]]]:
    return [
        (r["name"], json.loads(r["properties_json"]))
        for r in _rows(process, "SELECT name, properties_json FROM product_events ORDER BY id")
    ]


def _actions(process: DaemonProcess) -> list[str]:
    return [r["action"] for r in _rows(process, "SELECT action FROM audit_log ORDER BY id")]


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"conectar-whatsapp-{name}.png"), full_page=True)


def _open(browser: Browser, process: DaemonProcess, **context: Any) -> Page:
    page = browser.new_context(locale="pt-BR", **context).new_page()
    response = page.goto(f"{process.operator_url}/connect/whatsapp")
    assert response is not None and response.status == 200
    expect(page.locator("#cw-start")).to_be_enabled()  # the SDK loaded
    return page


def _play(page: Page, double: GraphDouble, popup: Popup) -> Page:
    """Click the button; the stand-in's popup plays ``popup`` and closes."""
    assert double.sdk is not None
    double.sdk.popup = popup
    with page.expect_popup() as opened:
        page.locator("#cw-start").click()
    dialog = opened.value
    dialog.wait_for_event("close", timeout=15_000)
    return dialog


def test_the_journey_through_every_state(
    browser: Browser, stack: tuple[DaemonProcess, GraphDouble]
) -> None:
    process, double = stack
    dashboard = browser.new_context(locale="pt-BR").new_page()
    dashboard.goto(f"{process.operator_url}/dashboard")
    checklist = dashboard.locator("#setup-checklist")
    expect(checklist).to_contain_text("Conectar o número do estúdio")
    expect(checklist.locator("li.todo")).to_have_count(2)  # connect; mode "enabled"
    _shot(dashboard, "painel-primeiros-passos")
    dashboard.locator("#setup-checklist a").click()
    expect(dashboard).to_have_url(re.compile(r"/connect/whatsapp$"))

    page = _open(browser, process)
    expect(page.locator("#signup")).to_have_attribute("data-state", "not_connected")
    expect(page.locator("#cw-requirements")).to_contain_text("Facebook Business")
    expect(page.locator("#cw-requirements")).to_contain_text("WhatsApp Business")
    expect(page.locator("#cw-start")).to_have_text("Iniciar conexão")
    _shot(page, "nao-conectado")

    # Canceled at a step of Meta's window.
    _play(page, double, Popup("cancel", current_step="PHONE_NUMBER_SETUP"))
    expect(page.locator("#signup")).to_have_attribute("data-state", "canceled")
    expect(page.locator("#cw-canceled")).to_have_text(
        "Conexão cancelada. Clique para tentar novamente."
    )
    expect(page.locator("#cw-start")).to_have_text("Tentar novamente")
    _shot(page, "cancelada")
    assert _events(process)[-1] == (
        "Embedded Signup Cancelled",
        {"step_cancelled": "PHONE_NUMBER_SETUP"},
    )
    assert _actions(process)[-1] == "whatsapp.signup_started"

    # An error the user reported in Meta's window: its message and "contact support".
    _play(page, double, Popup("error"))
    expect(page.locator("#signup")).to_have_attribute("data-state", "meta_error")
    expect(page.locator("#cw-error-message")).to_have_text(
        "Não foi possível verificar o número. Tente de novo mais tarde."
    )
    expect(page.locator("#cw-meta-error")).to_contain_text("entre em contato com o suporte")
    _shot(page, "erro-da-meta")
    name, props = _events(process)[-1]
    assert name == "Embedded Signup Failed"
    assert props["error_code"] == "524126" and props["step_failed"] == "popup"

    # A code that reaches the daemon after its 30 s: Meta refuses the exchange.
    _play(page, double, Popup("late"))
    expect(page.locator("#signup")).to_have_attribute("data-state", "meta_error")
    expect(page.locator("#cw-error-message")).to_contain_text("expirou antes de ser trocado")
    expect(page.locator("#cw-history")).to_contain_text("falhou")
    _shot(page, "codigo-expirado")
    name, props = _events(process)[-1]
    assert (name, props["step_failed"], props["error_code"]) == (
        "Embedded Signup Failed",
        "exchange_code",
        "100",
    )
    assert _actions(process)[-2:] == [
        "whatsapp.connection.connecting",
        "whatsapp.connection.error",
    ]

    # The page's session is gone (the cookie expired): "Sessão expirada".
    page.context.clear_cookies()
    _play(page, double, Popup("cancel"))
    expect(page.locator("#signup")).to_have_attribute("data-state", "expired")
    expect(page.locator("#cw-expired")).to_have_text("Sessão expirada. Clique para reconectar.")
    expect(page.locator("#cw-start")).to_have_text("Reconectar")
    _shot(page, "sessao-expirada")

    # A new number: connecting while the popup plays, then the green card and the PIN.
    page = _open(browser, process)
    assert double.sdk is not None
    double.sdk.popup = Popup("finish", code_first=True)
    with page.expect_popup() as opened:
        page.locator("#cw-start").click()
    expect(page.locator("#signup")).to_have_attribute("data-state", "connecting")
    expect(page.locator("#cw-connecting")).to_be_visible()
    _shot(page, "conectando")
    opened.value.wait_for_event("close", timeout=15_000)
    expect(page.locator("#signup")).to_have_attribute("data-state", "connected")
    expect(page.locator("#cw-number")).to_have_text(NEW_NUMBER.display_phone_number)
    expect(page.locator("#cw-business")).to_have_text(NEW_NUMBER.verified_name)
    expect(page.locator("#cw-since")).to_have_text(re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"))
    expect(page.locator("#cw-status-value")).to_have_text("conectado")  # refreshed below
    pin = page.locator("#cw-pin").inner_text()
    assert re.fullmatch(r"\d{6}", pin)
    assert double.signup.registered[NEW_NUMBER.phone_number_id] == pin
    _shot(page, "conectada-numero-novo")
    # The forged finish from another origin was ignored: the hints were the real ones.
    login = double.sdk.logins[-1]
    assert login["config_id"] == "777000111" and login["app_id"] == "1234567890"
    assert login["response_type"] == "code"
    assert "featureType" not in json.loads(login["extras"])
    name, props = _events(process)[-1]
    assert name == "Embedded Signup Completed" and props["waba_id"] == NEW_NUMBER.waba_id
    assert _actions(process)[-1] == "whatsapp.connection.active"
    # A reload shows the record, never the PIN again.
    page.reload()
    expect(page.locator("#signup")).to_have_attribute("data-state", "connected")
    expect(page.locator("#cw-pin-box")).to_be_hidden()
    assert pin not in page.content()
    expect(page.locator("#cw-history")).to_contain_text("registro do número")
    expect(page.locator("#cw-funnel")).to_contain_text("Concluídos")

    dashboard.goto(f"{process.operator_url}/dashboard")
    expect(dashboard.locator("#connection")).to_contain_text("sim")
    expect(dashboard.locator("#setup-checklist")).to_have_count(0)

    # Disconnect from the page, then connect a number that stays on the Business app.
    page.once("dialog", lambda d: d.accept())
    page.locator("#cw-disconnect button").click()
    expect(page.locator("#signup")).to_have_attribute("data-state", "not_connected")
    expect(page.locator("#cw-not-connected")).to_have_text("WhatsApp desconectado.")
    assert _actions(process)[-1] == "whatsapp.connection.disconnected"
    # (then the page it went back to was viewed)
    assert [n for n, _ in _events(process)[-2:]] == [
        "WhatsApp Disconnected",
        "WhatsApp Setup Screen Viewed",
    ]

    page = _open(browser, process)
    page.locator("#cw-coexistence").check()
    # The coexistence signup's own calls: the number's app-data syncs follow it on the
    # connection actor's time, so a fixed tail of the log would reach back into the last
    # signup's register whenever they had not come yet.
    before = len(double.signup.calls)
    _play(page, double, Popup("coexistence"))
    expect(page.locator("#signup")).to_have_attribute("data-state", "connected")
    expect(page.locator("#cw-number")).to_have_text(COEXISTENCE.display_phone_number)
    expect(page.locator("#cw-coexistence-note")).to_be_visible()
    expect(page.locator("#cw-pin-box")).to_be_hidden()
    assert json.loads(double.sdk.logins[-1]["extras"])["featureType"] == (
        "whatsapp_business_app_onboarding"
    )
    coexistence = double.signup.calls[before:]
    assert "subscribe" in coexistence and "register" not in coexistence
    _shot(page, "conectada-coexistencia")
    name, props = _events(process)[-1]
    assert name == "Embedded Signup Completed" and props["has_existing_number"] is True

    # On a phone: the same page, one column.
    phone = _open(browser, process, viewport={"width": 390, "height": 844})
    expect(phone.locator("#cw-connected")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    _shot(phone, "celular")


def test_with_the_flag_off_the_page_says_how_to_turn_it_on(
    browser: Browser, tmp_path: Path
) -> None:
    write_secrets(tmp_path)
    (tmp_path / "token").write_text("graph-token-from-the-file\n")
    config = write_config(
        tmp_path,
        'app_secret_file = "app_secret"\naccess_token_file = "token"\n'
        'phone_number_id = "106540352242922"\n',
    )
    with DaemonProcess(config, test_hooks=False) as process:
        page = browser.new_context(locale="pt-BR").new_page()
        page.goto(f"{process.operator_url}/connect/whatsapp")
        expect(page.locator("#cw-disabled")).to_contain_text("embedded_signup_enabled = true")
        expect(page.locator("#cw-disabled")).to_contain_text("continua funcionando como hoje")
        expect(page.locator("#cw-start")).to_have_count(0)
        _shot(page, "desligado")
        page.goto(f"{process.operator_url}/dashboard")
        expect(page.locator("#setup-checklist li.todo")).to_have_count(4)
        expect(page.locator("#connect-link")).to_have_attribute("href", "/connect/whatsapp")
