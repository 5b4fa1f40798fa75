"""Chaos (issue 10, "Done when"): a real daemon process under a systemd-style watchdog, fed for
about half a minute with healthy records and a poison record of each kind beside them: a
message job (a flow event starting in year 9999, and a job stored with unreadable values), a
delivery (refused for good, and one whose stored event the worker cannot read), webhook items
(a timestamp "²", one of 10^17, an error code over 2^63) among good ones, and a sync item the
target refuses. Every healthy record completes, every poison one is set aside with a reason,
no actor restarts and the watchdog pings never stop."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.clock import iso
from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble
from recado.testing.mixed_load import doubles_toml
from recado.testing.service_double import ServiceDouble
from tests.reasons import reason_in
from tests.webhook_helpers import APP_SECRET, write_secrets

TOKEN = "graph-token-for-chaos"
ROUNDS = 8
ROUND_S = 2.5
WATCHDOG_USEC = 3_000_000  # systemd would kill the daemon after 3 s without a ping
SYNC_ITEMS = 5


def _config(directory: Path, graph: GraphDouble, services: dict[str, ServiceDouble]) -> Path:
    write_secrets(directory)
    (directory / "token").write_text(TOKEN)
    hub = doubles_toml(graph, services) + (
        '[[flows]]\nevent = "lead.created"\nactions = ["http:crm:POST:/leads"]\n'
        '[[flows]]\nevent = "payment.received"\nactions = ["http:refuser:POST:/payments"]\n'
        '[[flows]]\nevent = "client.registered"\nactions = ["whatsapp:appointment_created"]\n'
        '[[sync]]\nname = "contracts"\nschedule = "0 3 * * *"\n'
        'source = "src:GET:/contracts?since={cursor}"\ntarget = "ops:POST:/schedules"\n'
    )
    return write_config(directory, hub, mode="enabled")


def _phone(n: int) -> str:
    return f"+551198765{n:04d}"


class Feeder:
    """Posts records to the daemon as the studio's systems and Meta would."""

    def __init__(self, daemon: DaemonProcess, client: httpx.AsyncClient) -> None:
        self.daemon = daemon
        self.client = client
        self.key = (daemon.data_dir / "api_key").read_text().strip()
        self.db = daemon.data_dir / "recado.db"

    async def event(self, eid: str, etype: str, data: dict[str, Any]) -> None:
        body = {"id": eid, "type": etype, "occurred_at": iso(datetime.now(UTC)), "data": data}
        response = await self.client.post(
            f"{self.daemon.public_url}/api/v1/events", json=body, headers={"X-API-Key": self.key}
        )
        assert response.status_code in (200, 202), response.text

    async def webhook(self, changes: list[dict[str, Any]]) -> None:
        raw, headers = wb.signed(wb.envelope(changes), APP_SECRET)
        response = await self.client.post(
            f"{self.daemon.public_url}/webhooks/whatsapp", content=raw, headers=headers
        )
        assert response.status_code == 200, response.text

    def stored(self, sql: str, *args: Any) -> None:
        """A record as an older recado (or a bug) could have stored it."""
        with sqlite3.connect(self.db, timeout=10, isolation_level=None) as conn:
            conn.execute(sql, args)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db, timeout=10) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql).fetchall()]

    async def operator(self, path: str, method: str = "GET") -> httpx.Response:
        return await self.client.request(
            method,
            f"{self.daemon.operator_url}{path}",
            headers={"X-API-Key": self.key, "Accept": "application/json"},
        )


async def _round(feed: Feeder, r: int) -> None:
    now = datetime.now(UTC)
    starts = (now + timedelta(days=2)).isoformat(timespec="seconds")
    # Poison stored before the fix: a job whose values cannot be read, and an event whose
    # data the delivery worker cannot read.
    ts = iso(now - timedelta(seconds=1))
    feed.stored(
        "INSERT INTO messages(id, kind, wa_id, to_number, state, created_at, updated_at, "
        "due_at, params_json) VALUES (?, 'appointment_created', ?, ?, 'queued', ?, ?, ?, '{')",
        f"job-poison-{r}",
        _phone(900 + r)[1:],
        _phone(900 + r),
        ts,
        ts,
        ts,
    )
    feed.stored(
        "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
        "VALUES (?, 'lead.created', ?, '{not json', 'x', ?)",
        f"evt-unreadable-{r}",
        ts,
        ts,
    )
    feed.stored(
        "INSERT INTO deliveries(event_id, action, service, state, next_attempt_at, created_at, "
        "updated_at) VALUES (?, 'http:crm:POST:/leads', 'crm', 'pending', ?, ?, ?)",
        f"evt-unreadable-{r}",
        ts,
        ts,
        ts,
    )
    # Healthy records.
    for i in range(2):
        await feed.event(f"lead-{r}-{i}", "lead.created", {"id": f"l{r}{i}", "name": "Ana"})
    await feed.event(
        f"apt-{r}",
        "appointment.created",
        {
            "appointment_id": f"apt-{r}",
            "client": {"name": "Ana Souza", "phone": _phone(r)},
            "service": "Corte",
            "starts_at": starts,
        },
    )
    client = {"name": "Bia", "phone": _phone(100 + r)}
    await feed.event(
        f"reg-{r}", "client.registered", {"id": f"c{r}", "client": client, "starts_at": starts}
    )
    # Poison through the front door.
    poison_client = {"name": "Caio", "phone": _phone(200 + r)}
    await feed.event(
        f"reg-poison-{r}",
        "client.registered",
        {"id": f"p{r}", "client": poison_client, "starts_at": "9999-12-31T23:00:00-05:00"},
    )
    await feed.event(f"pay-{r}", "payment.received", {"id": f"o{r}"})
    bad_ts = wb.inbound_text("oi", id=f"wamid.BADTS{r}")
    bad_ts["value"]["messages"][0]["timestamp"] = "²"
    far = wb.inbound_text("oi", id=f"wamid.FAR{r}")
    far["value"]["messages"][0]["timestamp"] = str(10**17)
    huge = wb.status(f"wamid.HUGE{r}", "failed", errors=[{"code": 2**63}])
    unix = int(now.timestamp())
    await feed.webhook(
        [
            bad_ts,
            wb.inbound_text("bom dia", id=f"wamid.GOOD{r}", wa_id=_phone(300 + r)[1:], ts=unix),
            far,
            huge,
            wb.echo("já vou", id=f"wamid.ECHO{r}", ts=unix),
        ]
    )
    if r == 1:
        assert (await feed.operator("/sync/contracts/run", "POST")).status_code == 202


async def _until(check: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await trio.sleep(0.2)


def _count(feed: Feeder, sql: str) -> int:
    return int(next(iter(feed.rows(sql)[0].values())))


async def test_poison_records_are_set_aside_and_nothing_restarts(tmp_path: Path) -> None:
    graph = GraphDouble(token=TOKEN, app_secret=APP_SECRET)
    services = {name: ServiceDouble(name) for name in ("crm", "refuser", "src", "ops")}
    services["refuser"].fail(422)
    items = [{"id": f"k{n}", "n": n} for n in range(SYNC_ITEMS)]
    services["src"].pages = {
        "": {"items": [*items[:3], {"id": "poison"}], "next_cursor": "c1"},
        "c1": {"items": items[3:], "next_cursor": "c2"},
        "c2": {"items": [], "next_cursor": None},
    }
    services["ops"].refuse["sync:contracts:poison"] = 422
    async with trio.open_nursery() as nursery:
        await nursery.start(graph.serve)
        for double in services.values():
            await nursery.start(double.serve)
        config = _config(tmp_path, graph, services)
        daemon = DaemonProcess(config, test_hooks=False, watchdog_usec=WATCHDOG_USEC)
        await trio.to_thread.run_sync(daemon.start)
        started = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                feed = Feeder(daemon, client)
                for r in range(ROUNDS):
                    await _round(feed, r)
                    await trio.sleep(ROUND_S)
                await _settled(feed, graph, services)
                dash = (await feed.operator("/dashboard.json")).json()
            ended = time.monotonic()
            assert {n: a["restarts"] for n, a in dash["actors"].items() if a["restarts"]} == {}
            assert all(a["state"] == "running" for a in dash["actors"].values()), dash["actors"]
            assert "actor_failed" not in daemon.log_text()
            _watchdog_kept_pinging(daemon, started, ended)
        finally:
            await trio.to_thread.run_sync(daemon.terminate)
        nursery.cancel_scope.cancel()


async def _settled(feed: Feeder, graph: GraphDouble, services: dict[str, ServiceDouble]) -> None:
    n = ROUNDS
    # Healthy: every lead delivered, every notice and every hub message sent, every good
    # webhook item applied, every good sync item written and the cursor moved.
    await _until(
        lambda: _count(feed, "SELECT COUNT(*) FROM deliveries WHERE state = 'done' "
                             "AND event_id LIKE 'lead-%'") == 2 * n,
        "leads delivered",
    )  # fmt: skip
    await _until(
        lambda: _count(feed, "SELECT COUNT(*) FROM messages WHERE state = 'sent'") == 2 * n,
        "notices and hub messages sent",
    )
    assert len(services["crm"].received()) == 2 * n
    assert len(graph.sends()) == 2 * n
    assert _count(feed, "SELECT COUNT(*) FROM inbound_messages WHERE wamid LIKE 'wamid.GOOD%'") == n
    assert _count(feed, "SELECT COUNT(*) FROM echo_messages") == n
    await _until(
        lambda: feed.rows("SELECT status FROM sync_runs") == [{"status": "done"}], "sync run"
    )
    (run,) = feed.rows("SELECT * FROM sync_runs")
    assert (run["items_written"], run["items_set_aside"], run["cursor_after"]) == (5, 1, "c2")

    # Poison: each set aside with its reason.
    await _until(
        lambda: (
            _count(feed, "SELECT COUNT(*) FROM messages WHERE reason_code = 'internal_error'") == n
        ),
        "poison jobs failed",
    )
    reasons = feed.rows("SELECT reason_json FROM messages WHERE reason_code = 'internal_error'")
    assert all("JSONDecodeError" in reason_in(r["reason_json"], "en") for r in reasons)
    await _until(
        lambda: _count(feed, "SELECT COUNT(*) FROM deliveries WHERE state = 'dead'") == 3 * n,
        "poison deliveries dead",
    )
    dead = feed.rows("SELECT event_id, last_error FROM deliveries WHERE state = 'dead'")
    for row in dead:
        expected = {
            "reg-poison": "data.starts_at (9999-12-31T23:00:00-05:00) está fora do intervalo",
            "pay": "O serviço recusou o pedido (HTTP 422)",
            "evt-unreadable": "Erro interno ao processar a entrega (JSONDecodeError",
        }[row["event_id"].rsplit("-", 1)[0]]
        assert row["last_error"].startswith(expected), row
    dlq = (await feed.operator("/dlq.json?per_page=500")).json()
    assert dlq["total"] == 3 * n
    # No poison start reached the sender.
    assert _count(feed, "SELECT COUNT(*) FROM messages WHERE event_id LIKE 'reg-poison-%'") == 0
    aside = (await feed.operator("/webhooks.json")).json()["set_aside"]
    assert len(aside) == 3 * n and {a["kind"] for a in aside} == {"bad_item"}
    assert _count(feed, "SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL") == 0
    (failure,) = (await feed.operator("/sync.json")).json()["jobs"]["contracts"]["failures"]
    assert failure["item_key"] == "poison" and "HTTP 422" in failure["reason"]


def _watchdog_kept_pinging(daemon: DaemonProcess, started: float, ended: float) -> None:
    pings = [at for at in daemon.pings() if started <= at <= ended]
    period = WATCHDOG_USEC / 1e6 / 2
    assert len(pings) >= (ended - started) / period - 2, (len(pings), ended - started)
    gaps = [b - a for a, b in zip([started, *pings], [*pings, ended], strict=True)]
    assert max(gaps) < WATCHDOG_USEC / 1e6, max(gaps)
