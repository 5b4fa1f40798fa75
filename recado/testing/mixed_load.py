"""A studio's day in miniature against a real daemon process, for the chaos and soak runs.

``MixedRig`` owns the doubles (Graph, a CRM and an operations system), writes a daemon config
in ``enabled`` mode against them and (re)starts the daemon on the same data directory.
``MixedLoad`` drives it the way the studio's systems and Meta do: appointment events (each
makes a template send; the Graph double posts signed ``sent``/``delivered``/``read`` status
webhooks back), leads (a delivery to the CRM), signed inbound texts (a delivery to the
operations system) and button taps (a reply send), and operator page reads. Every write it
made and the daemon acknowledged goes in a ``Ledger`` (``recado.testing.ledger``); a write
that got no answer is posted again later with the same id, as a studio system or Meta would.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.clock import iso
from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble
from recado.testing.ledger import Ledger, settled
from recado.testing.service_double import ServiceDouble

APP_SECRET = "mixed-load-app-secret-0123456789"
VERIFY_TOKEN = "mixed-load-verify-token"
TOKEN = "mixed-load-graph-token"
STATUSES = ("sent", "delivered", "read")
# A pool of clients, so the run looks like a studio (the same people again and again)
# rather than a table of strangers growing without end.
CLIENTS = 400
OPERATOR_PAGES = ("/dashboard.json", "/messages.json", "/alerts.json", "/messages", "/dlq.json")
# One cycle of the mix: what share of the steps is which kind of request.
MIX = (
    "appointment",
    "operator",
    "lead",
    "inbound",
    "operator",
    "appointment",
    "tap",
    "lead",
    "operator",
    "inbound",
)


def phone(n: int) -> str:
    return f"+55119{n % CLIENTS:08d}"


def mixed_config(directory: Path, graph: GraphDouble, services: dict[str, ServiceDouble]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app_secret").write_text(APP_SECRET + "\n")
    (directory / "verify_token").write_text(VERIFY_TOKEN + "\n")
    (directory / "token").write_text(TOKEN)
    flows = (
        '[[flows]]\nevent = "lead.created"\nactions = ["http:crm:POST:/leads"]\n'
        '[[flows]]\nevent = "whatsapp.message.received"\nactions = ["http:ops:POST:/inbound"]\n'
    )
    return write_config(directory, doubles_toml(graph, services) + flows, mode="enabled")


def doubles_toml(graph: GraphDouble, services: Mapping[str, ServiceDouble]) -> str:
    """The whatsapp keys of a daemon that sends through the Graph double (its secrets in the
    files ``app_secret``, ``verify_token`` and ``token`` beside the config, unpaced), and a
    ``[[services]]`` per service double."""
    whatsapp = (
        'app_secret_file = "app_secret"\nverify_token_file = "verify_token"\n'
        'access_token_file = "token"\nphone_number_id = "106540352242922"\n'
        f'graph_base_url = "{graph.url}"\nmessages_per_second = 0\n'
    )
    return whatsapp + "".join(
        f'[[services]]\nname = "{name}"\nbase_url = "{double.url}"\n'
        for name, double in services.items()
    )


@dataclass
class MixedRig:
    """The doubles and the daemon; ``restart`` after a kill points the doubles at the new
    ports (the daemon's listeners are picked by the kernel on every start)."""

    directory: Path
    watchdog_usec: int | None = None
    graph: GraphDouble = field(init=False)
    services: dict[str, ServiceDouble] = field(init=False)
    daemon: DaemonProcess = field(init=False)
    starts: int = 0

    def __post_init__(self) -> None:
        self.graph = GraphDouble(token=TOKEN, app_secret=APP_SECRET, auto_statuses=STATUSES)
        self.services = {name: ServiceDouble(name) for name in ("crm", "ops")}

    async def start(self) -> None:
        if self.starts == 0:
            config = mixed_config(self.directory, self.graph, self.services)
            self.daemon = DaemonProcess(config, test_hooks=False, watchdog_usec=self.watchdog_usec)
        await trio.to_thread.run_sync(self.daemon.start)
        self.graph.webhook_url = f"{self.daemon.public_url}/webhooks/whatsapp"
        self.starts += 1

    def kill(self) -> None:
        self.daemon.kill()

    @property
    def alive(self) -> bool:
        return self.daemon.proc is not None and self.daemon.proc.poll() is None

    @property
    def db(self) -> Path:
        return self.daemon.data_dir / "recado.db"


@asynccontextmanager
async def running_rig(
    directory: Path, *, watchdog_usec: int | None = None
) -> AsyncIterator[MixedRig]:
    """The doubles served in a nursery and the daemon started; stopped on the way out."""
    rig = MixedRig(directory, watchdog_usec)
    async with trio.open_nursery() as nursery:
        await nursery.start(rig.graph.serve)
        for double in rig.services.values():
            await nursery.start(double.serve)
        await rig.start()
        try:
            yield rig
        finally:
            if rig.alive:
                await trio.to_thread.run_sync(rig.daemon.terminate)
            nursery.cancel_scope.cancel()


@dataclass
class Write:
    """A write the daemon must keep once it acknowledged it."""

    kind: str  # event | webhook
    key: str  # the event id, or the inbound message's wamid
    body: dict[str, Any]


@dataclass
class Sample:
    at: float  # time.monotonic() when the answer came
    kind: str
    seconds: float
    status: int  # 0: no answer (connection refused, reset, timed out)


class MixedLoad:
    """One request per ``step``; the ``samples`` say how long each took."""

    def __init__(self, rig: MixedRig, client: httpx.AsyncClient, *, seed: int = 17) -> None:
        self.rig = rig
        self.client = client
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.samples: list[Sample] = []
        self.unanswered: list[Write] = []
        self.n = 0
        self._key = ""

    @property
    def api_key(self) -> str:
        if not self._key:
            self._key = (self.rig.daemon.data_dir / "api_key").read_text().strip()
        return self._key

    async def step(self) -> None:
        kind = MIX[self.n % len(MIX)]
        self.n += 1
        if kind == "operator":
            await self._operator(OPERATOR_PAGES[self.n % len(OPERATOR_PAGES)])
            return
        write = self._new_write(kind)
        await self._post(write)

    async def resend_unanswered(self) -> None:
        """What went unanswered (the daemon was down) is posted again with the same ids."""
        pending, self.unanswered = self.unanswered, []
        for write in pending:
            await self._post(write)

    def _new_write(self, kind: str) -> Write:
        n = self.n
        now = datetime.now(UTC)
        if kind == "appointment":
            aid = f"apt-{n}"
            starts = (now + timedelta(days=2, minutes=n % 600)).isoformat(timespec="seconds")
            data = {
                "appointment_id": aid,
                "client": {"name": "Ana Souza", "phone": phone(n)},
                "service": "Corte",
                "starts_at": starts,
            }
            return Write("event", f"evt-{aid}", self._event(f"evt-{aid}", kind, data))
        if kind == "lead":
            eid = f"lead-{n}"
            return Write("event", eid, self._event(eid, "lead.created", {"id": f"l{n}"}))
        unix = int(now.timestamp())
        wamid = f"wamid.LOAD{n:09d}"
        if kind == "tap":
            # A tap on an earlier appointment's notice; the payload names the appointment.
            booked = self.ledger.appointments
            aid = booked[self.rng.randrange(len(booked))] if booked else "apt-0"
            tapper = phone(int(aid.split("-")[1]))[1:]
            change = wb.inbound_button(
                f"CONFIRM:{aid}", "Confirmar", id=wamid, wa_id=tapper, ts=unix
            )
        else:
            change = wb.inbound_text("bom dia", id=wamid, wa_id=phone(n)[1:], ts=unix)
        return Write("webhook", wamid, wb.envelope([change]))

    def _event(self, eid: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        etype = "appointment.created" if kind == "appointment" else kind
        return {"id": eid, "type": etype, "occurred_at": iso(datetime.now(UTC)), "data": data}

    async def _post(self, write: Write) -> None:
        url, kwargs = self._request(write)
        status = await self._timed(write.kind, lambda: self.client.post(url, **kwargs))
        if status in (200, 202):
            self.ledger.acknowledged(write.kind, write.key, write.body)
        elif status == 0 or status >= 500:
            self.unanswered.append(write)
        else:
            raise AssertionError(f"{write.kind} {write.key} refused with HTTP {status}")

    def _request(self, write: Write) -> tuple[str, dict[str, Any]]:
        daemon = self.rig.daemon
        if write.kind == "event":
            return f"{daemon.public_url}/api/v1/events", {
                "json": write.body,
                "headers": {"X-API-Key": self.api_key},
            }
        raw, headers = wb.signed(write.body, APP_SECRET)
        return f"{daemon.public_url}/webhooks/whatsapp", {"content": raw, "headers": headers}

    async def _operator(self, path: str) -> None:
        headers = {"X-API-Key": self.api_key, "Accept": "application/json"}
        url = f"{self.rig.daemon.operator_url}{path}"
        status = await self._timed("operator", lambda: self.client.get(url, headers=headers))
        if status not in (0, 200) and status < 500:
            raise AssertionError(f"GET {path} answered HTTP {status}")

    async def _timed(self, kind: str, send: Callable[[], Any]) -> int:
        started = time.monotonic()
        try:
            response = await send()
            status = int(response.status_code)
        except httpx.HTTPError:
            status = 0
        ended = time.monotonic()
        self.samples.append(Sample(ended, kind, ended - started, status))
        return status


async def steady(load: MixedLoad, rate_per_s: float, until: Callable[[], bool]) -> None:
    """Steps at ``rate_per_s`` on a fixed schedule until ``until()`` says stop; a step that
    overran the schedule moves it on instead of letting the next steps burst to catch up."""
    period = 1 / rate_per_s
    next_at = trio.current_time()
    while not until():
        await load.step()
        next_at = max(next_at + period, trio.current_time())
        await trio.sleep_until(next_at)


async def settle(rig: MixedRig, load: MixedLoad, timeout_s: float = 120) -> bool:
    """Waits (polling the database, as an operator would look) until everything acknowledged
    has been worked off; False if it has not within ``timeout_s``."""
    deadline = trio.current_time() + timeout_s
    while True:
        if settled(rig.db, load.ledger):
            return True
        if trio.current_time() > deadline:
            return False
        await trio.sleep(0.5)
