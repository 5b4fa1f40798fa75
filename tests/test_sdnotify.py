"""sd_notify over a real datagram socket; the watchdog's timing under a mock clock."""

from __future__ import annotations

import io
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
import trio.testing

from recado.logs import setup_logging
from recado.runtime import sdnotify


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A bound datagram socket standing in for systemd's, read without blocking."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setattr(sdnotify, "_warned", False)
    with sock:
        yield sock


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    before = list(root.handlers)
    stream = io.StringIO()
    setup_logging("info", stream=stream)
    yield stream
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)


def _received(sock: socket.socket) -> list[bytes]:
    messages = []
    while True:
        try:
            messages.append(sock.recv(4096))
        except BlockingIOError:
            return messages


def test_no_socket_is_a_quiet_no(monkeypatch: pytest.MonkeyPatch, log_stream: io.StringIO) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.ready() is False
    assert sdnotify.notify("WATCHDOG=1") is False
    assert log_stream.getvalue() == ""


def test_path_socket(notify_socket: socket.socket) -> None:
    assert sdnotify.ready() is True
    assert sdnotify.stopping() is True
    assert sdnotify.status("draining: 3 sends in flight") is True
    assert _received(notify_socket) == [
        b"READY=1",
        b"STOPPING=1",
        b"STATUS=draining: 3 sends in flight",
    ]


def test_reloading_carries_the_monotonic_time(notify_socket: socket.socket) -> None:
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert sdnotify.reloading() is True
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    (message,) = _received(notify_socket)
    first, second = message.decode().split("\n")
    assert first == "RELOADING=1"
    key, value = second.split("=")
    assert key == "MONOTONIC_USEC" and before <= int(value) <= after


def test_status_cannot_inject_other_assignments(notify_socket: socket.socket) -> None:
    sdnotify.status("all good\nREADY=1")
    assert _received(notify_socket) == [b"STATUS=all good READY=1"]


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"recado-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.stopping() is True
        assert sock.recv(100) == b"STOPPING=1"


def test_unreachable_socket_never_raises_and_warns_once_per_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_stream: io.StringIO
) -> None:
    monkeypatch.setattr(sdnotify, "_warned", False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    assert sdnotify.ready() is False
    assert sdnotify.notify("WATCHDOG=1") is False
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "level=warning" in lines[0] and "event=sd_notify_failed" in lines[0]
    assert "state=READY=1" in lines[0] or 'state="READY=1"' in lines[0]
    # A socket path longer than the kernel allows is an error too, not a crash.
    monkeypatch.setenv("NOTIFY_SOCKET", "/" + "x" * 200)
    assert sdnotify.ready() is False
    # Back again: the next outage is reported again.
    path = tmp_path / "back.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert sdnotify.ready() is True
    assert sdnotify.ready() is False
    assert len(log_stream.getvalue().splitlines()) == 2


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("30000000", None, 30.0),
        ("30000000", "self", 30.0),
        ("500000", "self", 0.5),
        ("30000000", "other", None),
        ("30000000", "garbage", None),
        ("0", None, None),
        ("", None, None),
        ("-5", None, None),
        ("1e6", None, None),
        (None, "self", None),
    ],
)
def test_watchdog_interval(
    monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None, expected: float | None
) -> None:
    for key, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pid)):
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            value = {"self": str(os.getpid()), "other": str(os.getpid() + 1)}.get(value, value)
            monkeypatch.setenv(key, value)
    assert sdnotify.watchdog_interval_s() == expected


def _arm_watchdog(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", str(seconds * 1_000_000))
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))


async def test_watchdog_pings_every_half_interval_while_healthy(
    notify_socket: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
    autojump_clock: trio.testing.MockClock,
    log_stream: io.StringIO,
) -> None:
    _arm_watchdog(monkeypatch, 10)
    t0 = trio.current_time()
    pings: list[float] = []
    healthy = True

    def is_healthy() -> bool:
        # Called right before each ping decision: a healthy answer means a ping now.
        if healthy:
            pings.append(trio.current_time() - t0)
        return healthy

    async with trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: sdnotify.watchdog_loop(
                is_healthy, why_unhealthy=lambda: "storage closed", task_status=task_status
            )
        )
        await trio.sleep(21)  # pings at 0, 5, 10, 15, 20
        healthy = False
        await trio.sleep(10)  # skipped at 25, 30
        healthy = True
        await trio.sleep(7)  # back at 35
        nursery.cancel_scope.cancel()
    assert pings == [0.0, 5.0, 10.0, 15.0, 20.0, 35.0]
    assert _received(notify_socket) == [b"WATCHDOG=1"] * 6
    events = [line for line in log_stream.getvalue().splitlines() if "event=watchdog" in line]
    assert len(events) == 3
    assert 'reason="storage closed" unhealthy_for_s=0.0' in events[0]
    assert "unhealthy_for_s=5.0" in events[1]
    assert "event=watchdog_recovered" in events[2] and "unhealthy_for_s=10.0" in events[2]


async def test_watchdog_does_not_drift_or_burst_after_a_stall(
    notify_socket: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
    autojump_clock: trio.testing.MockClock,
) -> None:
    _arm_watchdog(monkeypatch, 10)
    t0 = trio.current_time()
    calls: list[float] = []

    def is_healthy() -> bool:
        calls.append(trio.current_time() - t0)
        if len(calls) == 2:
            # The event loop is blocked for 12 s inside this tick (a synchronous stall).
            autojump_clock.jump(12)
        return True

    async with trio.open_nursery() as nursery:
        await nursery.start(sdnotify.watchdog_loop, is_healthy)
        await trio.sleep(26)
        nursery.cancel_scope.cancel()
    # 5 → stalled until 17; the ticks at 10 and 15 are skipped, the grid is kept.
    assert calls == [0.0, 5.0, 20.0, 25.0]


async def test_a_raising_health_check_counts_as_unhealthy(
    notify_socket: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
    autojump_clock: trio.testing.MockClock,
    log_stream: io.StringIO,
) -> None:
    _arm_watchdog(monkeypatch, 2)

    def is_healthy() -> bool:
        raise RuntimeError("boom")

    with trio.move_on_after(1.5):
        await sdnotify.watchdog_loop(is_healthy)
    assert _received(notify_socket) == []
    assert 'reason="health check raised RuntimeError: boom"' in log_stream.getvalue()


@pytest.mark.parametrize("setting", ["no_watchdog", "other_pid", "no_socket"])
async def test_watchdog_returns_at_once_when_not_configured(
    setting: str,
    notify_socket: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
    autojump_clock: trio.testing.MockClock,
) -> None:
    _arm_watchdog(monkeypatch, 10)
    if setting == "no_watchdog":
        monkeypatch.delenv("WATCHDOG_USEC")
    elif setting == "other_pid":
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    else:
        monkeypatch.delenv("NOTIFY_SOCKET")
    t0 = trio.current_time()
    async with trio.open_nursery() as nursery:
        await nursery.start(sdnotify.watchdog_loop, lambda: True)
    assert trio.current_time() == t0
    assert _received(notify_socket) == []
