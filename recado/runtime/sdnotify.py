"""systemd's notify protocol without libsystemd: datagrams to ``$NOTIFY_SOCKET``.

Everything here is best effort: outside systemd (tests, a terminal) the calls are quiet
no-ops, and a broken socket costs one warning in the log, never an exception in the daemon.
"""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable

import trio

from recado.logs import get_logger

__all__ = [
    "notify",
    "ready",
    "reloading",
    "status",
    "stopping",
    "watchdog_interval_s",
    "watchdog_loop",
]

log = get_logger("sdnotify")

# systemd's receive buffer is large, so a send practically never waits; the bound only
# keeps a wedged PID 1 from freezing the event loop for good.
SEND_TIMEOUT_S = 1.0

# Re-armed by a successful send, so each outage of the socket logs one warning.
_warned = False


def notify(state: str) -> bool:
    """Send ``state`` (``READY=1``, or several ``KEY=value`` lines) to systemd.

    False when not started by systemd (``$NOTIFY_SOCKET`` unset) or when the send failed.
    Never raises.
    """
    global _warned
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        # Abstract namespace: the kernel's name starts with a NUL byte.
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(SEND_TIMEOUT_S)
            sock.sendto(state.encode(), address)
    except (OSError, ValueError) as exc:
        if not _warned:
            _warned = True
            log.warning(
                "sd_notify_failed",
                socket=os.environ.get("NOTIFY_SOCKET"),
                error=str(exc),
                state=state.split("\n", 1)[0],
            )
        return False
    _warned = False
    return True


def ready() -> bool:
    """Start-up (or a reload) is complete."""
    return notify("READY=1")


def stopping() -> bool:
    """The daemon is draining; systemd shows ``deactivating`` instead of a silent wait."""
    return notify("STOPPING=1")


def reloading() -> bool:
    """A reload has begun. systemd keeps the unit in ``reloading`` until :func:`ready` is
    sent again, so every call must be followed by ``ready()``, also when the reload fails."""
    # systemd ≥ 253 ignores RELOADING=1 without the monotonic time it was sent at.
    monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify(f"RELOADING=1\nMONOTONIC_USEC={monotonic_usec}")


def status(text: str) -> bool:
    """One line shown by ``systemctl status``."""
    # A newline would start a new assignment and let the text forge READY=1 or similar.
    return notify("STATUS=" + " ".join(text.splitlines()))


def watchdog_interval_s() -> float | None:
    """``WatchdogSec=`` in seconds, or None when systemd expects no pings from this process.

    ``WATCHDOG_PID``, when set, names the process the watchdog is meant for: a child that
    inherited the environment must not ping on its parent's behalf.
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = os.environ.get("WATCHDOG_PID")
    if pid is not None and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 1_000_000


async def watchdog_loop(
    is_healthy: Callable[[], bool],
    *,
    why_unhealthy: Callable[[], str] | None = None,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Ping ``WATCHDOG=1`` every half interval while ``is_healthy()`` is true.

    When it is false the ping is skipped and the reason logged (``why_unhealthy()`` if
    given), so a daemon that stays wedged is killed and restarted by systemd after
    ``WatchdogSec``. Returns at once when no watchdog is configured.
    """
    interval = watchdog_interval_s()
    task_status.started()
    if interval is None or not os.environ.get("NOTIFY_SOCKET"):
        return
    period = interval / 2
    unhealthy_since: float | None = None
    next_at = trio.current_time()
    while True:
        now = trio.current_time()
        healthy, reason = _check(is_healthy, why_unhealthy)
        if healthy:
            notify("WATCHDOG=1")
            if unhealthy_since is not None:
                log.info("watchdog_recovered", unhealthy_for_s=round(now - unhealthy_since, 3))
                unhealthy_since = None
        else:
            if unhealthy_since is None:
                unhealthy_since = now
            log.warning(
                "watchdog_ping_skipped",
                reason=reason,
                unhealthy_for_s=round(now - unhealthy_since, 3),
                watchdog_s=interval,
            )
        # A fixed grid (sleep_until, not sleep) so the pings do not drift; after a stall
        # longer than a period, skip the missed ticks instead of pinging in a burst.
        next_at += period
        now = trio.current_time()
        if next_at <= now:
            next_at += period * (math.floor((now - next_at) / period) + 1)
        await trio.sleep_until(next_at)


def _check(
    is_healthy: Callable[[], bool], why_unhealthy: Callable[[], str] | None
) -> tuple[bool, str]:
    try:
        if is_healthy():
            return True, ""
    except Exception as exc:
        # A broken health check is itself a reason not to vouch for the daemon.
        return False, f"health check raised {type(exc).__name__}: {exc}"
    if why_unhealthy is None:
        return False, "health check failed"
    try:
        return False, why_unhealthy()
    except Exception as exc:
        return False, f"health check failed (reason unavailable: {type(exc).__name__})"
