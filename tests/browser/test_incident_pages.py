"""An incident from a person's side, in real Chromium: opened by hand from the incidents
page, an update posted with the public note the page prefills, the note seen on the public
``/status``, the resolution refused before 30 minutes of normal flow and accepted once the
daemon's mock clock has passed them. Screenshots go to docs/screenshots/.

The daemon runs in a thread of its own with its own trio run on a MockClock, so the test can
move its time (and only its time) from here while Chromium talks to it over real sockets.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from playwright.sync_api import Browser, Page, expect, sync_playwright

from recado.clock import TrioClock
from recado.config import load_config
from recado.daemon.main import run_daemon
from recado.runtime.context import Daemon
from recado.testing.chromium import CHROMIUM, FLAGS
from recado.testing.daemon_process import write_config
from recado.testing.graph_double import GraphDouble

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TUESDAY_10H = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


class ThreadedDaemon:
    """The real daemon in a thread, on a mock clock the test moves with ``jump``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.clock = trio.testing.MockClock()
        self._ready: queue.Queue[Any] = queue.Queue()
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self.daemon: Daemon | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            trio.run(self._main, clock=self.clock)
        except BaseException as exc:  # the test thread must hear of it, whatever it is
            self._ready.put(exc)

    async def _main(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        graph = GraphDouble(token="t")
        async with trio.open_nursery() as nursery:
            await nursery.start(graph.serve)
            path = write_config(
                self.directory,
                f'graph_base_url = "{graph.url}"\n'
                '[incidents]\ncontingency_contact = "atendimento@estudio.com.br"\n',
            )
            cfg = load_config(path)
            finished = trio.Event()

            async def serve(task_status: trio.TaskStatus[Daemon]) -> None:
                try:
                    await run_daemon(
                        cfg,
                        path,
                        install_signals=False,
                        clock=TrioClock(TUESDAY_10H),
                        task_status=task_status,
                    )
                finally:
                    finished.set()

            daemon: Daemon = await nursery.start(serve)
            self._ready.put(daemon)
            await self._stop.wait()
            daemon.stopping.set()
            # The drain's deadlines are on the mock clock: move it while the daemon stops.
            for _ in range(600):
                if finished.is_set():
                    break
                self.clock.jump(0.5)
                await trio.to_thread.run_sync(time.sleep, 0.02)
            nursery.cancel_scope.cancel()

    def start(self) -> ThreadedDaemon:
        self._thread.start()
        found = self._ready.get(timeout=60)
        if isinstance(found, BaseException):
            raise found
        self.daemon = found
        return self

    def jump(self, seconds: float) -> None:
        trio.from_thread.run_sync(self.clock.jump, seconds, trio_token=self._token)

    def stop(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
            self._thread.join(60)

    def url(self, listener: str) -> str:
        assert self.daemon is not None
        url = self.daemon.listeners[listener].url
        assert url is not None
        return url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[ThreadedDaemon]:
    threaded = ThreadedDaemon(tmp_path).start()
    try:
        yield threaded
    finally:
        threaded.stop()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_incident_from_opening_to_resolution(browser: Browser, daemon: ThreadedDaemon) -> None:
    operator, public = daemon.url("operator"), daemon.url("public")
    page = browser.new_page(locale="pt-BR", viewport={"width": 1200, "height": 900})
    page.goto(f"{operator}/dashboard")
    page.get_by_role("link", name="Incidentes").click()
    expect(page).to_have_url(re.compile(r"/incidents$"))
    form = page.locator("#open-incident")
    form.get_by_label("Gravidade").select_option("sev2")
    form.get_by_label("Título").fill("WhatsApp lento para responder")
    form.get_by_label("Descrição").fill("Clientes relatam demora nas confirmações.")
    form.get_by_role("button", name="Abrir incidente").click()
    row = page.locator("#incidents tr", has_text="WhatsApp lento para responder")
    expect(row).to_contain_text("sev2 · P2")
    expect(row).to_contain_text("aberto")
    expect(row.locator("td").nth(4)).to_have_text("01/12/2026 10:00")
    row.get_by_role("link", name="WhatsApp lento para responder").click()

    expect(page.locator("#state")).to_have_text("aberto")
    clocks = page.locator("#clocks")
    expect(clocks.locator("tr.clock-response")).to_contain_text("cumprido")
    expect(clocks.locator("tr.clock-workaround")).to_contain_text("01/12/2026 14:00")
    expect(page.locator("#next-update")).to_contain_text("01/12/2026 10:30")
    expect(page.locator("#check-graph")).to_contain_text("acessível")
    # No token is configured here: there is nothing to reconnect, so no such button.
    expect(page.locator("#check-token")).to_contain_text("não configurado")
    expect(page.locator("#act-reconnect")).to_have_count(0)
    expect(page.locator("#act-restart")).to_be_visible()
    expect(page.locator("#resolution-state")).to_contain_text("são necessários 30 min")
    prefilled = page.locator("#update-form textarea[name=public_note]")
    expect(prefilled).to_have_value(
        re.compile(
            r"^Título: WhatsApp lento para responder\nInício: 01/12/2026 10:00\n"
            r"Descrição: Clientes relatam demora nas confirmações\.\nImpacto: .+\n"
            r"Próxima atualização: 01/12/2026 10:30$"
        )
    )
    shot(page, "incident-opened.png")

    # Ten minutes in: the team posts the update, editing the prefilled note.
    daemon.jump(10 * 60)
    page.reload()
    page.get_by_label("Nota para a equipe").fill("Meta confirmou lentidão na API.")
    note = prefilled.input_value().replace(
        "Próxima atualização: 01/12/2026 10:40", "Próxima atualização: 01/12/2026 10:40 (ou antes)"
    )
    assert "Próxima atualização: 01/12/2026 10:40" in note
    prefilled.fill(note)
    page.get_by_role("button", name="Publicar atualização").click()
    expect(page.locator("#public-note")).to_contain_text("10:40 (ou antes)")
    expect(page.locator("#next-update")).to_contain_text("01/12/2026 10:40")
    expect(page.locator("#timeline")).to_contain_text("Meta confirmou lentidão na API.")

    status = browser.new_page(locale="pt-BR", viewport={"width": 800, "height": 700})
    status.goto(f"{public}/status")
    card = status.locator("article.incident")
    expect(card).to_contain_text("WhatsApp lento para responder")
    expect(card).to_contain_text("Próxima atualização: 01/12/2026 10:40 (ou antes)")
    expect(status.locator("body")).not_to_contain_text("Meta confirmou lentidão")
    shot(status, "incident-status-page.png")

    # Too early: 409, said in pt-BR on an error page with the way back.
    resolve = page.locator("#resolve-form")
    resolve.get_by_label("Causa raiz").fill("Lentidão na API da Meta")
    resolve.get_by_label("Ações corretivas").fill("Acompanhar o status da Meta")
    resolve.get_by_role("button", name="Resolver").click()
    expect(page.locator("body")).to_contain_text("são necessários 30 min")
    shot(page, "incident-resolve-refused.png")

    daemon.jump(31 * 60)
    page.goto(f"{operator}/incidents/1")
    expect(page.locator("#resolution-state")).to_contain_text("pode ser resolvido")
    resolve.get_by_label("Causa raiz").fill("Lentidão na API da Meta")
    resolve.get_by_label("Ações corretivas").fill("Acompanhar o status da Meta")
    resolve.get_by_role("button", name="Resolver").click()
    expect(page.locator("#state")).to_have_text("resolvido")
    expect(page.locator("#root-cause")).to_have_text("Lentidão na API da Meta")
    expect(page.locator("#postmortem")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Resolvido após 30 min de fluxo normal.")
    shot(page, "incident-resolved.png")

    status.reload()
    expect(status.locator("#all-good")).to_be_visible()
