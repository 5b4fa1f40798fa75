"""A daemon on a mock clock beside a Graph double and a chat service double, for the incident
tests: the wall clock starts on a Tuesday at 10:00 in São Paulo (business hours) and only
moves when a test moves trio's MockClock."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import trio
import trio.testing

from recado.clock import TrioClock
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from recado.testing.graph_double import GraphDouble
from recado.testing.service_double import ServiceDouble
from tests.conftest import running_daemon
from tests.webhook_helpers import APP_SECRET, post_body, query, write_secrets

TOKEN = "graph-token-for-incident-tests"
TUESDAY_10H = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
CHAT_FLOW = (
    '[[flows]]\nevent = "{event}"\n'
    'actions = [{{ action = "http:chat:POST:/hook", body = "chat" }}]\n'
)


def toml(
    double: GraphDouble, chat: ServiceDouble | None, incidents: str = "", extra: str = ""
) -> str:
    text = (
        'app_secret_file = "app_secret"\nverify_token_file = "verify_token"\n'
        'access_token_file = "token"\nphone_number_id = "106540352242922"\n'
        f'graph_base_url = "{double.url}"\nretry_base_s = 30\nretry_cap_s = 120\n'
        "messages_per_second = 0\n" + extra
    )
    text += "[incidents]\n" + incidents
    if chat is not None:
        text += f'[[services]]\nname = "chat"\nbase_url = "{chat.url}"\n'
        text += "breaker = { failure_threshold = 3, open_s = 60 }\n"
    return text


@dataclass
class Stack:
    daemon: Daemon
    graph: GraphDouble
    chat: ServiceDouble
    client: httpx.AsyncClient
    clock: trio.testing.MockClock

    @property
    def operator(self) -> str:
        url = self.daemon.listeners["operator"].url
        assert url is not None
        return url

    @property
    def public(self) -> str:
        url = self.daemon.listeners["public"].url
        assert url is not None
        return url

    @property
    def key(self) -> dict[str, str]:
        return {"X-API-Key": self.daemon.api_key, "Accept": "application/json"}

    def now(self) -> datetime:
        return self.daemon.clock.now()

    async def get(self, path: str) -> Any:
        response = await self.client.get(self.operator + path, headers=self.key)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(self.operator + path, json=body or {}, headers=self.key)

    def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return query(self.daemon, sql, *args)

    async def settle(self) -> None:
        """Let real work (sockets, the storage thread) happen while virtual time stands."""
        await trio.to_thread.run_sync(time.sleep, 0.05)

    async def advance(self, seconds: float, step: float = 5.0) -> None:
        """Move virtual time forward in steps, letting the actors run at each one."""
        left = seconds
        while left > 0:
            jump = min(step, left)
            self.clock.jump(jump)
            left -= jump
            await self.settle()

    async def until(
        self, check: Callable[[], bool | Awaitable[bool]], within_s: float, step: float = 5.0
    ) -> float:
        """Advance until ``check`` holds; returns the virtual seconds it took. Each step gives
        real work (a request, a commit) a moment before virtual time moves on."""
        waited = 0.0
        while True:
            for _ in range(4):
                found = check()
                if not isinstance(found, bool):
                    found = await found
                if found:
                    return waited
                await self.settle()
            assert waited < within_s, f"not within {within_s} s of virtual time"
            self.clock.jump(step)
            waited += step

    def incidents(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM incidents ORDER BY id")

    def of_cause(self, cause: str) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM incidents WHERE cause = ? ORDER BY id", cause)

    async def book(self, apt: str, phone: str = "+5511987654321") -> None:
        """An appointment two days ahead: its notice goes out at once."""
        starts = (self.now() + timedelta(days=2)).isoformat(timespec="seconds")
        body = {
            "id": f"evt-{apt}",
            "type": "appointment.created",
            "occurred_at": self.now().isoformat(timespec="seconds"),
            "data": {
                "appointment_id": apt,
                "client": {"name": "Ana Souza", "phone": phone},
                "service": "Corte",
                "starts_at": starts,
            },
        }
        response = await self.client.post(
            f"{self.public}/api/v1/events", json=body, headers={"X-API-Key": self.daemon.api_key}
        )
        assert response.status_code == 202, response.text

    async def inbound(self, wa_id: str, text: str = "Oi", ts: datetime | None = None) -> str:
        """A client writes (a signed webhook, as Meta posts it); returns the wamid."""
        wamid = wb.wamid()
        change = wb.inbound_text(
            text, wa_id=wa_id, id=wamid, ts=int((ts or self.now()).timestamp())
        )
        response = await post_body(self.daemon, self.client, wb.envelope([change]))
        assert response.status_code == 200, response.text
        await self.daemon.commands.webhooks.drain()
        return wamid


@asynccontextmanager
async def incident_stack(
    directory: Path,
    clock: trio.testing.MockClock,
    *,
    incidents: str = "",
    extra: str = "",
    flows: str = "",
    mode: str = "enabled",
    start: datetime = TUESDAY_10H,
    statuses: bool = True,
    **daemon_args: Any,
) -> AsyncIterator[Stack]:
    write_secrets(directory)
    (directory / "token").write_text(TOKEN)
    graph = GraphDouble(token=TOKEN, app_secret=APP_SECRET)
    # Meta's statuses follow every accepted send unless a test wants webhook silence.
    graph.auto_statuses = ("sent", "delivered") if statuses else ()
    graph.webhook_timeout_s = None  # virtual time jumps while a status is being posted
    chat = ServiceDouble("chat")
    # The doubles stop before the daemon does: a status the Graph double is still posting
    # must not meet a daemon that has gone.
    doubles = trio.CancelScope()

    async def run_doubles(task_status: trio.TaskStatus[None]) -> None:
        with doubles:
            async with trio.open_nursery() as inner:
                await inner.start(graph.serve)
                await inner.start(chat.serve)
                task_status.started()

    async with trio.open_nursery() as nursery:
        await nursery.start(run_doubles)
        config = toml(graph, chat, incidents, extra) + flows
        async with (
            running_daemon(
                directory,
                config,
                mode=mode,
                test_hooks=False,
                clock=TrioClock(start),
                **daemon_args,
            ) as daemon,
            # A fresh connection per request: a pooled one idles across the clock's jumps,
            # past the listener's keep-alive timeout.
            httpx.AsyncClient(
                timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
            ) as client,
        ):
            graph.webhook_url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
            try:
                yield Stack(daemon, graph, chat, client, clock)
            finally:
                doubles.cancel()
