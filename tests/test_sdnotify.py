"""sd_notify over a real datagram socket; the watchdog's timing under a mock clock."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import trio

from recado.daemon import sdnotify


def test_no_socket_is_a_quiet_no(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.ready() is False


def test_path_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert sdnotify.ready() is True
        assert sdnotify.status("draining") is True
        assert sock.recv(100) == b"READY=1"
        assert sock.recv(100) == b"STATUS=draining"


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"recado-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.stopping() is True
        assert sock.recv(100) == b"STOPPING=1"


def test_unreachable_socket_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    assert sdnotify.ready() is False


def test_watchdog_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.watchdog_interval_s() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert sdnotify.watchdog_interval_s() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert sdnotify.watchdog_interval_s() is None


async def test_watchdog_pings_every_half_interval_while_healthy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, autojump_clock: trio.abc.Clock
) -> None:
    path = tmp_path / "wd.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "10000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    healthy = True
    pings: list[float] = []
    t0 = trio.current_time()

    def is_healthy() -> bool:
        if healthy:
            pings.append(round(trio.current_time() - t0, 6))
        return healthy

    async with trio.open_nursery() as nursery:
        await nursery.start(sdnotify.watchdog_loop, is_healthy)
        await trio.sleep(21)
        healthy = False
        await trio.sleep(10)
        nursery.cancel_scope.cancel()
    assert pings == [0.0, 5.0, 10.0, 15.0, 20.0]
    received = []
    while True:
        try:
            received.append(sock.recv(100))
        except BlockingIOError:
            break
    sock.close()
    assert received == [b"WATCHDOG=1"] * 5
