"""A small studio's day, played against the real daemon, to seed a database.

The daemon runs as a child process in ``enabled`` mode against the Graph double (which
posts ``sent``/``delivered``/``read`` back, signed), with one service double standing in for
the studio's CRM (flows and a sync job). The scenario books appointments (notices now,
reminders a few seconds later), has clients write and tap the template's buttons (replies,
internal events, alerts), reschedules and cancels some, refuses some deliveries for good
(dead letters, one archived and one retried by an operator), fails a send for good and
retries it, runs the sync job twice with a poison item, posts echoes, history, a malformed
item and a rejected body, and toggles the kill switch. It waits until nothing is left to
send or deliver, then stops the daemon: every row in the file was written by the product.

``recado.testing.multiply_rows`` copies these rows across a year for the page bench and the
query-plan test.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble
from recado.testing.service_double import ServiceDouble

TOKEN = "seed-token"
SECRET = "seed-app-secret"
# Reminders come due a few seconds after the notice: the whole day plays in seconds.
REMINDER_HOURS = 0.002
SETTLE_TIMEOUT_S = 120.0


def _now_s() -> int:
    return int(time.time())


def phone(i: int) -> str:
    """Client ``i``'s number: the last five digits are zeros, so ``multiply_rows`` can give
    each copy of the client a number of its own and keep it E.164."""
    return f"+55119{i:03d}00000"


def _config(directory: Path, graph: GraphDouble, crm: ServiceDouble) -> Path:
    (directory / "app_secret").write_text(SECRET)
    (directory / "token").write_text(TOKEN)
    whatsapp = (
        'app_secret_file = "app_secret"\naccess_token_file = "token"\n'
        f'phone_number_id = "{wb.PHONE_NUMBER_ID}"\ngraph_base_url = "{graph.url}"\n'
        f"messages_per_second = 0\nreminder_hours_before = {REMINDER_HOURS}\n"
    )
    tables = (
        f'[[services]]\nname = "crm"\nbase_url = "{crm.url}"\n'
        "breaker = {failure_threshold = 1000, open_s = 1}\n"
        '[[flows]]\nevent = "appointment.created"\nactions = ["http:crm:POST:/appointments"]\n'
        '[[flows]]\nevent = "appointment.canceled"\nactions = ["http:crm:POST:/cancellations"]\n'
        '[[flows]]\nevent = "handoff.requested"\nactions = ["http:crm:POST:/handoffs"]\n'
        '[[sync]]\nname = "clients"\nschedule = "0 3 * * *"\n'
        'source = "crm:GET:/clients?since={cursor}"\ntarget = "crm:POST:/clients"\n'
    )
    return write_config(directory, whatsapp + tables, mode="enabled")


class Studio:
    def __init__(self, daemon: DaemonProcess, graph: GraphDouble) -> None:
        self.daemon = daemon
        self.graph = graph
        key = (daemon.data_dir / "api_key").read_text().strip()
        self.public = httpx.AsyncClient(base_url=daemon.public_url, headers={"X-API-Key": key})
        self.operator = httpx.AsyncClient(
            base_url=daemon.operator_url, headers={"X-API-Key": key}, timeout=30
        )

    async def aclose(self) -> None:
        await self.public.aclose()
        await self.operator.aclose()

    async def event(self, event_id: str, type_: str, data: dict[str, Any]) -> None:
        body = {
            "id": event_id,
            "type": type_,
            "occurred_at": datetime.now(UTC).isoformat(),
            "data": data,
        }
        response = await self.public.post("/api/v1/events", json=body)
        assert response.status_code in (200, 202), response.text

    async def webhook(self, *changes: dict[str, Any]) -> None:
        raw, headers = wb.signed(wb.envelope(list(changes)), SECRET)
        response = await self.public.post("/webhooks/whatsapp", content=raw, headers=headers)
        assert response.status_code in (200, 400), response.text

    async def reject(self) -> None:
        raw, headers = wb.signed({"object": "page", "entry": []}, SECRET)
        await self.public.post("/webhooks/whatsapp", content=raw, headers=headers)

    async def act(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.operator.post(path, json=body or {})


def _settled(db: Path) -> bool:
    """Nothing left to send or deliver, and no sync run in progress."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        busy = conn.execute(
            "SELECT (SELECT COUNT(*) FROM messages WHERE state IN ('queued', 'sending', "
            "'uncertain')) + (SELECT COUNT(*) FROM deliveries WHERE state IN "
            "('pending', 'retrying')) + (SELECT COUNT(*) FROM sync_runs WHERE "
            "status = 'running') + (SELECT COUNT(*) FROM webhook_inbox WHERE "
            "processed_at IS NULL AND error IS NULL)"
        ).fetchone()[0]
    finally:
        conn.close()
    return int(busy) == 0


def _rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


async def _wait(db: Path, what: str, check: Any) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the seeded daemon did not settle: {what}")
        await trio.sleep(0.2)


async def _play(studio: Studio, crm: ServiceDouble, appointments: int, db: Path) -> None:
    now = datetime.now(UTC)
    for i in range(appointments):
        if i % 8 == 3:
            # Refused for good by the CRM: a dead letter.
            crm.refuse[f"evt-{i}:http:crm:POST:/appointments"] = 422
        if i % 5 == 0:
            await studio.webhook(
                wb.inbound_text(f"Oi, sou o cliente {i}", wa_id=phone(i)[1:], ts=_now_s())
            )
        await studio.event(
            f"evt-{i}",
            "appointment.created",
            {
                "appointment_id": f"apt-{i}",
                "client": {"name": f"Cliente {i}", "phone": phone(i)},
                "service": "Corte",
                "starts_at": (now + timedelta(seconds=12 + i % 3)).isoformat(),
            },
        )
    # One send refused for good by Meta (a template problem): failed, retried below.
    studio.graph.fail_next(1, 132001, message="template name does not exist")
    await _wait(db, "notices", lambda: _rows(db, "SELECT COUNT(*) FROM messages")[0][0] > 0)
    await trio.sleep(1.0)
    for i in range(appointments):
        wa_id = phone(i)[1:]
        if i % 4 == 0:
            await studio.webhook(
                wb.inbound_button(f"CONFIRM:apt-{i}", "Confirmar", wa_id=wa_id, ts=_now_s())
            )
        elif i % 4 == 1:
            await studio.webhook(
                wb.inbound_button(f"TALK:apt-{i}", "Falar", wa_id=wa_id, ts=_now_s())
            )
        elif i % 8 == 2:
            await studio.webhook(
                wb.inbound_button(f"RESCHEDULE:apt-{i}", "Remarcar", wa_id=wa_id, ts=_now_s())
            )
        if i % 6 == 5:
            await studio.event(
                f"evt-r{i}",
                "appointment.rescheduled",
                {
                    "appointment_id": f"apt-{i}",
                    "client": {"name": f"Cliente {i}", "phone": phone(i)},
                    "service": "Corte",
                    "starts_at": (now + timedelta(seconds=16)).isoformat(),
                },
            )
        elif i % 6 == 4:
            await studio.event(
                f"evt-c{i}",
                "appointment.canceled",
                {"appointment_id": f"apt-{i}", "notify_client": True, "reason": "imprevisto"},
            )
    await studio.webhook(wb.echo("Já te respondo", to=phone(0)[1:], ts=_now_s()))
    await studio.webhook(wb.history_chunk(thread=phone(1)[1:]))
    await studio.webhook(wb.state_sync(number=phone(2)))
    await studio.webhook(wb.inbound("text", {"body": "x"}, wa_id=phone(3)[1:], ts=10**12))
    await studio.reject()
    for on in (True, False):
        await studio.act("/whatsapp/kill-switch", {"on": on})
    for _ in range(2):
        await studio.act("/sync/clients/run")
        await _wait(db, "sync run", lambda: _settled(db))
    await _wait(db, "the day's work", lambda: _settled(db))
    await _operator_fixes(studio, crm, db)
    await _wait(db, "operator retries", lambda: _settled(db))


async def _operator_fixes(studio: Studio, crm: ServiceDouble, db: Path) -> None:
    dead = [r[0] for r in _rows(db, "SELECT id FROM deliveries WHERE state = 'dead' ORDER BY id")]
    if dead:
        await studio.act(f"/dlq/{dead[0]}/archive")
    if len(dead) > 1:
        event_id = _rows(db, "SELECT event_id FROM deliveries WHERE id = ?", dead[1])[0][0]
        crm.refuse.pop(f"{event_id}:http:crm:POST:/appointments", None)
        await studio.act(f"/dlq/{dead[1]}/retry")
    for (message_id,) in _rows(db, "SELECT id FROM messages WHERE state = 'failed' LIMIT 1"):
        await studio.act(f"/messages/{message_id}/retry")
    # An incident opened by hand and given an update with its public note (the pages of
    # incidents and /status read them).
    opened = await studio.act(
        "/incidents", {"severity": "sev2", "title": "Lentidão no envio", "description": "teste"}
    )
    incident = opened.json()["id"]
    await studio.act(f"/incidents/{incident}/update", {"note": "olhando", "public_note": "ok"})


def studio_doubles() -> tuple[GraphDouble, ServiceDouble]:
    """Meta (posting statuses back, signed) and the studio's CRM, as the scenario needs them."""
    graph = GraphDouble(token=TOKEN, app_secret=SECRET, auto_statuses=("sent", "delivered", "read"))
    crm = ServiceDouble("crm")
    crm.cursor_param = "since"
    crm.pages = {
        "": {"items": [{"id": "c1"}, {"id": "poison"}, {"id": "c2"}], "next_cursor": "p2"},
        "p2": {"items": [{"id": "c3"}], "next_cursor": None},
    }
    crm.refuse["sync:clients:poison"] = 422
    return graph, crm


@asynccontextmanager
async def played_studio(
    directory: Path, graph: GraphDouble, crm: ServiceDouble, appointments: int, extra_toml: str = ""
) -> AsyncIterator[Studio]:
    """The scenario played in ``directory`` against the (serving) doubles; the daemon keeps
    running inside the block (its rows settled) and is stopped after it."""
    config = _config(directory, graph, crm)
    with config.open("a", encoding="utf-8") as tail:
        tail.write(extra_toml)
    daemon = DaemonProcess(config, test_hooks=False)
    await trio.to_thread.run_sync(daemon.start)
    graph.webhook_url = f"{daemon.public_url}/webhooks/whatsapp"
    studio = Studio(daemon, graph)
    try:
        await _play(studio, crm, appointments, daemon.data_dir / "recado.db")
        yield studio
    finally:
        await studio.aclose()
        code = await trio.to_thread.run_sync(daemon.terminate)
        if code != 0:
            raise RuntimeError(f"the seeded daemon exited {code}:\n{daemon.log_text()[-3000:]}")


async def seed_studio(directory: Path, appointments: int = 24) -> Path:
    """Play the scenario in ``directory`` (created); returns the database file, with the
    daemon stopped."""
    await trio.Path(directory).mkdir(parents=True, exist_ok=True)
    graph, crm = studio_doubles()
    async with trio.open_nursery() as nursery:
        await nursery.start(graph.serve)
        await nursery.start(crm.serve)
        async with played_studio(directory, graph, crm, appointments) as studio:
            db = studio.daemon.data_dir / "recado.db"
        nursery.cancel_scope.cancel()
    return db
