"""docs/screenshots/: every operator page in pt-BR, at 1280 and 390 px wide, photographed in
Chromium from a demo studio that the real daemon filled through its real APIs.

The demo is ``recado.testing.seed_studio``'s day (bookings through the events API, Meta's
``sent``/``delivered``/``read`` as signed webhooks from the Graph double, button taps, a
delivery the CRM refuses for good in the DLQ, a sync run with a poison item, an incident)
plus a payment flow to a service double that always fails, so one breaker is open, and a
daily backup. Run it with ``scripts/screenshots`` (about a minute); the file names are
fixed, so a re-run only changes the pictures whose page changed (times in them follow the
wall clock: the daemon runs as a real process on real time).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio
from playwright.sync_api import sync_playwright

from recado.testing.chromium import CHROMIUM, FLAGS
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.seed_studio import Studio, played_studio, studio_doubles
from recado.testing.service_double import ServiceDouble

WIDTHS = {"1280": (1280, 800), "390": (390, 844)}
# A long list is shown by its first screens; the rest would only weigh on the repository.
MAX_HEIGHT = 4000
# seed_studio refuses every 8th booking from the 4th: 3 and 11 are archived and retried by
# the operator, 19 stays in the DLQ.
DEMO_APPOINTMENTS = 20
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PAYMENT = "pag_demo_1"


@dataclass(frozen=True)
class Demo:
    operator_url: str
    public_url: str
    db: Path


def _extra_toml(agenda: ServiceDouble) -> str:
    return (
        f'\n[[services]]\nname = "agenda"\nbase_url = "{agenda.url}"\n'
        "breaker = {failure_threshold = 1, open_s = 3600}\n"
        '[[flows]]\nevent = "payment.received"\nactions = ["http:agenda:POST:/pagamentos"]\n'
        '[studio]\nname = "Estúdio Bela Vista"\n'
        '[backup]\nschedule = "0 3 * * *"\n'
    )


async def _open_breaker(studio: Studio) -> None:
    """A payment for the failing service: its breaker opens on the first refusal."""
    await studio.event(PAYMENT, "payment.received", {"id": "p1", "amount": 150})
    deadline = time.monotonic() + 30
    while True:
        board = (await studio.operator.get("/circuit-breakers.json")).json()["breakers"]
        if board["agenda"]["state"] == "open":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the agenda breaker did not open: {board}")
        await trio.sleep(0.2)


@asynccontextmanager
async def demo_studio(
    directory: Path, appointments: int = DEMO_APPOINTMENTS
) -> AsyncIterator[Demo]:
    """The demo daemon, running on ``directory`` with its rows settled, inside the block."""
    await trio.Path(directory).mkdir(parents=True, exist_ok=True)
    graph, crm = studio_doubles()
    agenda = ServiceDouble("agenda")
    agenda.fail(503)
    async with trio.open_nursery() as nursery:
        for double in (graph, crm, agenda):
            await nursery.start(double.serve)
        async with played_studio(
            directory, graph, crm, appointments, _extra_toml(agenda)
        ) as studio:
            await _open_breaker(studio)
            daemon = studio.daemon
            yield Demo(daemon.operator_url, daemon.public_url, daemon.data_dir / "recado.db")
        nursery.cancel_scope.cancel()


def _first(db: Path, sql: str, *args: str) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(sql, args).fetchone()
    finally:
        conn.close()
    if row is None:
        raise LookupError(f"the demo has no row for: {sql}")
    return str(row[0])


def demo_pages(demo: Demo) -> list[tuple[str, str]]:
    """(file name stem, URL) of every page, the detail pages on demo rows; the status page
    and the voucher's refusal are on the public listener."""
    db = demo.db
    message = _first(
        db,
        # The first booking's notice, as Meta reported it read.
        "SELECT id FROM messages WHERE kind = 'appointment_created' AND state = 'read' "
        "ORDER BY created_at, id LIMIT 1",
    )
    wa_id = _first(
        db, "SELECT wa_id FROM inbound_messages WHERE type = 'button' ORDER BY ts, wamid LIMIT 1"
    )
    dead = _first(db, "SELECT id FROM deliveries WHERE state = 'dead' ORDER BY id LIMIT 1")
    incident = _first(db, "SELECT id FROM incidents ORDER BY id LIMIT 1")
    appointment = _first(db, "SELECT appointment_id FROM messages WHERE id = ?", message)
    event = _first(db, "SELECT event_id FROM deliveries WHERE id = ?", dead)
    operator = [
        ("dashboard", "/dashboard"),
        ("alertas", "/alerts"),
        ("alertas-todos", "/alerts?all=1"),
        ("incidentes", "/incidents"),
        ("incidente", f"/incidents/{incident}"),
        ("mensagens", "/messages"),
        ("mensagem-linha-do-tempo", f"/messages/{message}"),
        ("conversas", "/conversations"),
        ("conversa", f"/conversations/{wa_id}"),
        ("agendamento", f"/appointments/{appointment}"),
        ("evento", f"/events/{event}"),
        ("dlq", "/dlq"),
        ("dlq-arquivadas", "/dlq?state=archived"),
        ("dlq-entrega", f"/dlq/{dead}"),
        ("disjuntores", "/circuit-breakers"),
        ("sincronizacao", "/sync"),
        ("modelos", "/templates"),
        ("relatorio-diario", "/report/daily"),
        ("webhooks", "/webhooks"),
        ("auditoria", "/audit"),
        ("backups", "/backups"),
        ("conectar-whatsapp", "/connect/whatsapp"),
        ("erro-404", "/pagina-que-nao-existe"),
    ]
    public = [
        ("status-publico", "/status"),
        ("comprovante-link-invalido", f"/voucher/{appointment}?sig=link-antigo"),
    ]
    return [(stem, f"{demo.operator_url}{path}") for stem, path in operator] + [
        (stem, f"{demo.public_url}{path}") for stem, path in public
    ]


def shoot(pages: list[tuple[str, str]], into: Path) -> list[Path]:
    """Each page at each width, full length; returns the files written."""
    into.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            for width, (w, h) in WIDTHS.items():
                context = browser.new_context(
                    locale="pt-BR", viewport={"width": w, "height": h}, device_scale_factor=1
                )
                page = context.new_page()
                for stem, url in pages:
                    page.goto(url, wait_until="networkidle")
                    target = into / f"{stem}-{width}.png"
                    height = int(page.evaluate("document.documentElement.scrollHeight"))
                    page.screenshot(
                        path=str(target),
                        full_page=True,
                        clip={"x": 0, "y": 0, "width": w, "height": min(height, MAX_HEIGHT)},
                        animations="disabled",
                    )
                    written.append(target)
                context.close()
        finally:
            browser.close()
    return written


# A studio on its first day (no [[services]], [[flows]], [[sync]] or [backup]): what each
# empty page says to configure.
EMPTY_PAGES = [
    ("vazio-disjuntores", "/circuit-breakers"),
    ("vazio-sincronizacao", "/sync"),
    ("vazio-dlq", "/dlq"),
    ("vazio-backups", "/backups"),
    ("vazio-mensagens", "/messages"),
    ("vazio-alertas", "/alerts"),
]
# Fixed, so the data directory a page shows (backups) is the same on every run.
DEMO_DIR = Path(tempfile.gettempdir()) / "recado-demo"


async def _shoot_empty(directory: Path, into: Path) -> list[Path]:
    daemon = DaemonProcess(write_config(directory), test_hooks=False)
    await trio.to_thread.run_sync(daemon.start)
    try:
        pages = [(stem, f"{daemon.operator_url}{path}") for stem, path in EMPTY_PAGES]
        return await trio.to_thread.run_sync(shoot, pages, into)
    finally:
        await trio.to_thread.run_sync(daemon.terminate)


async def _run(into: Path, directory: Path) -> None:
    await trio.to_thread.run_sync(lambda: shutil.rmtree(directory, ignore_errors=True))
    async with demo_studio(directory / "studio") as demo:
        # Chromium is driven by Playwright's sync API, which wants a thread of its own.
        written = await trio.to_thread.run_sync(shoot, demo_pages(demo), into)
    written += await _shoot_empty(directory / "first-day", into)
    for path in written:
        print(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHOTS, help="where the PNGs go")
    parser.add_argument("--dir", type=Path, default=DEMO_DIR, help="the demo data (replaced)")
    args = parser.parse_args()
    started = time.monotonic()
    trio.run(_run, args.out, args.dir)
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
