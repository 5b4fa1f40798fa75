"""systemd's notify protocol without libsystemd: datagrams to ``$NOTIFY_SOCKET``."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

import trio

from recado.daemon.logs import get_logger

log = get_logger("sdnotify")
_warned = False


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``READY=1``); False when not under systemd. Never raises."""
    global _warned
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        if not _warned:
            log.warning("sd_notify_failed", error=str(exc))
            _warned = True
        return False
    return True


def ready() -> bool:
    return notify("READY=1")


def stopping() -> bool:
    return notify("STOPPING=1")


def reloading() -> bool:
    monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify(f"RELOADING=1\nMONOTONIC_USEC={monotonic_usec}")


def status(text: str) -> bool:
    return notify(f"STATUS={text}")


def watchdog_interval_s() -> float | None:
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1_000_000


async def watchdog_loop(
    is_healthy: Callable[[], bool],
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Ping ``WATCHDOG=1`` every half interval while healthy, so a wedged daemon is
    restarted by systemd; returns at once when no watchdog is configured."""
    interval = watchdog_interval_s()
    task_status.started()
    if interval is None:
        return
    period = interval / 2
    next_at = trio.current_time()
    while True:
        if is_healthy():
            notify("WATCHDOG=1")
        else:
            log.warning("watchdog_skipped", reason="daemon unhealthy")
        next_at += period
        await trio.sleep_until(next_at)
