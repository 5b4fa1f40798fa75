"""The systemd watchdog (issue 10): pings continue while the event loop runs and storage is
open, also while an actor is in a crash loop (the dashboard says that; restarting the daemon
would heal nothing), and stop, with the reason logged, only when storage is closed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio

from recado.daemon.main import ActorSpec
from recado.rules.health import watchdog
from recado.runtime.context import Daemon
from recado.runtime.health import runtime_facts
from tests.conftest import running_daemon

WATCHDOG_USEC = 200_000  # a ping every 0.1 s


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    with sock:
        yield sock


def _pings(sock: socket.socket) -> int:
    n = 0
    while True:
        try:
            n += sock.recv(4096) == b"WATCHDOG=1"
        except BlockingIOError:
            return n


async def _always_fails(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    task_status.started()
    await trio.sleep(0.01)
    raise RuntimeError("a bug in this actor's loop")


def _flaky(daemon: Daemon) -> list[ActorSpec]:
    return [ActorSpec("flaky", _always_fails)]


async def test_pings_continue_through_an_actor_crash_loop(
    daemon_dir: Path, notify_socket: socket.socket
) -> None:
    async with running_daemon(daemon_dir, extra_actors=_flaky) as daemon:
        for _ in range(400):
            if "flaky" in daemon.supervisor.crash_looping():
                break
            await trio.sleep(0.05)
        assert daemon.supervisor.crash_looping() == ["flaky"]
        _pings(notify_socket)
        await trio.sleep(1.0)
        assert _pings(notify_socket) >= 6  # about 10 in a second
        assert watchdog(runtime_facts(daemon)).alive
        # The crash loop is the dashboard's to tell.
        async with httpx.AsyncClient() as client:
            dash = (await client.get(f"{daemon.listeners['operator'].url}/dashboard.json")).json()
        assert dash["status"] == "critical"
        assert dash["actors"]["flaky"]["state"] == "crash_loop"


async def test_pings_stop_when_storage_is_closed(
    daemon_dir: Path, notify_socket: socket.socket
) -> None:
    async with running_daemon(daemon_dir) as daemon:
        await trio.sleep(0.3)
        assert _pings(notify_socket) >= 1
        await daemon.storage.close()
        for _ in range(250):
            if not daemon.storage.is_open:
                break
            await trio.sleep(0.02)
        verdict = watchdog(runtime_facts(daemon))
        assert not verdict.alive and verdict.why_not == "storage closed"
        _pings(notify_socket)
        await trio.sleep(0.5)
        assert _pings(notify_socket) == 0
