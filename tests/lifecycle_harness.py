"""The real daemon and the Graph double on a trio loop of their own, driven from plain code
(a hypothesis state machine), with restarts of the daemon on the same data directory."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import trio

from recado.runtime.context import Daemon
from recado.testing.graph_double import GraphDouble
from tests.conftest import running_daemon
from tests.test_sender import TOKEN, _toml, book
from tests.webhook_helpers import APP_SECRET, post_body, query, write_secrets

T = TypeVar("T")
QUIET_S = 0.25  # the messages unchanged this long, and none mid-send: the step is over
QUIET_MAX_S = 10.0


class Harness:
    def __init__(self, directory: Path, extra_toml: str = "") -> None:
        self.directory = directory
        self.extra_toml = extra_toml
        write_secrets(directory)
        (directory / "token").write_text(TOKEN)
        self.double = GraphDouble(token=TOKEN, app_secret=APP_SECRET)
        self.daemon: Daemon | None = None
        self.restarts = 0
        self._token: trio.lowlevel.TrioToken | None = None
        self._done = threading.Event()
        self._started: queue.Queue[BaseException | None] = queue.Queue()
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)
        self._thread.start()
        problem = self._started.get(timeout=60)
        if problem is not None:
            raise problem

    # -- the loop -------------------------------------------------------------------------

    async def _main(self) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                await nursery.start(self.double.serve)
                self._token = trio.lowlevel.current_trio_token()
                await self._start_daemon()
                self._started.put(None)
                await trio.to_thread.run_sync(self._done.wait)
                await self._stop_daemon()
                nursery.cancel_scope.cancel()
        except BaseException as exc:
            self._started.put(exc)
            raise

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``fn(*args)`` on the harness's loop, from the calling (plain) thread."""
        return trio.from_thread.run(fn, *args, trio_token=self._token)

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=60)

    async def _start_daemon(self) -> None:
        self._stop_event, self._gone = trio.Event(), trio.Event()

        async def hold(task_status: trio.TaskStatus[Daemon]) -> None:
            try:
                toml = _toml(self.double, self.extra_toml)
                async with running_daemon(
                    self.directory, toml, mode="enabled", test_hooks=False
                ) as daemon:
                    task_status.started(daemon)
                    await self._stop_event.wait()
            finally:
                self._gone.set()

        self.daemon = await self._nursery.start(hold)
        self.client = httpx.AsyncClient(timeout=10)
        self.double.webhook_url = f"{self.live.listeners['public'].url}/webhooks/whatsapp"

    async def _stop_daemon(self) -> None:
        # Idle keep-alive connections would hold the daemon's graceful stop to its grace time.
        await self.client.aclose()
        self._stop_event.set()
        await self._gone.wait()
        self.daemon = None

    async def _restart(self) -> None:
        await self._stop_daemon()
        await self._start_daemon()
        self.restarts += 1

    def restart(self) -> None:
        self.run(self._restart)

    @property
    def live(self) -> Daemon:
        assert self.daemon is not None
        return self.daemon

    # -- what a step does -------------------------------------------------------------------

    def book(self, apt: str, eid: str, etype: str, starts_in: timedelta, **extra: Any) -> None:
        async def go() -> None:
            await book(self.live, self.client, apt, eid, etype, starts_in, **extra)

        self.run(go)

    def webhook(self, body: dict[str, Any]) -> None:
        async def go() -> None:
            answer = await post_body(self.live, self.client, body)
            assert answer.status_code == 200, answer.text
            await self.live.commands.webhooks.drain()

        self.run(go)

    def operator(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            return await self.client.post(
                f"{self.live.listeners['operator'].url}{path}",
                json=body,
                headers={"X-API-Key": self.live.api_key},
            )

        return self.run(go)

    def page(self, path: str) -> Any:
        async def go() -> Any:
            answer = await self.client.get(f"{self.live.listeners['operator'].url}{path}")
            assert answer.status_code == 200, answer.text
            return answer.json()

        return self.run(go)

    def query(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return query(self.live, sql, *args)

    def quiet(self) -> list[dict[str, Any]]:
        """Wait until no message is mid-send and none changed for ``QUIET_S``; the rows."""
        deadline = time.monotonic() + QUIET_MAX_S
        sql = "SELECT id, state, attempts, due_at, updated_at FROM messages ORDER BY id"
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            rows = self.query(sql)
            if rows != last:
                last, since = rows, time.monotonic()
            elif time.monotonic() - since >= QUIET_S and all(r["state"] != "sending" for r in rows):
                return rows
            time.sleep(0.02)
        raise AssertionError(f"the daemon did not settle in {QUIET_MAX_S} s: {last}")
