"""Supervision of long-running actors: restart with backoff, count, expose state.

An actor is an async function ``fn(task_status=...)``. If it raises, the traceback is logged
and it is started again after 0.1 s, 0.2 s, 0.4 s ... up to 30 s; the delay starts over once
the actor has stayed up for 60 s. Five failures within 60 s mark it ``crash_loop`` (the
dashboard turns critical) while it keeps being restarted. Cancellation always propagates.

``restart(name)`` is the operator's "restart the actors" (the incident SOP's first
mitigation): the actor's current run is cancelled as a shutdown would cancel it and it starts
again at once, with no backoff and no failure counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import trio

from recado.logs import current_actor, get_logger

log = get_logger("supervisor")

BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0
CRASH_LOOP_FAILURES = 5
CRASH_LOOP_WINDOW_S = 60.0

ActorFn = Callable[..., Awaitable[Any]]


def restart_delay(consecutive_failures: int) -> float:
    """Delay before the next start after the n-th consecutive failure (n ≥ 1)."""
    return float(min(BACKOFF_FIRST_S * 2 ** (consecutive_failures - 1), BACKOFF_MAX_S))


@dataclass
class ActorStatus:
    name: str
    state: str = "starting"  # starting | running | backoff | crash_loop | stopped
    restarts: int = 0
    consecutive_failures: int = 0
    last_error: str | None = None
    last_started: float | None = None
    looping: bool = False
    failures: deque[float] = field(default_factory=lambda: deque(maxlen=CRASH_LOOP_FAILURES))
    manual_restarts: int = 0
    scope: trio.CancelScope | None = None
    restart_requested: bool = False

    @property
    def crash_loop(self) -> bool:
        # A looping actor that is momentarily up is still looping until it stays up long
        # enough to count as healthy.
        if self.state == "crash_loop":
            return True
        return (
            self.looping
            and self.state == "running"
            and self.last_started is not None
            and trio.current_time() - self.last_started < HEALTHY_AFTER_S
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "state": "crash_loop" if self.crash_loop else self.state,
            "restarts": self.restarts,
            "last_error": self.last_error,
        }


class Supervisor:
    def __init__(self) -> None:
        self.actors: dict[str, ActorStatus] = {}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: st.as_json() for name, st in sorted(self.actors.items())}

    def crash_looping(self) -> list[str]:
        return [name for name, st in self.actors.items() if st.crash_loop]

    def restart(self, name: str) -> bool:
        """Start the actor's run over now; False if no such actor is running here."""
        status = self.actors.get(name)
        if status is None or status.scope is None:
            return False
        status.restart_requested = True
        status.scope.cancel()
        return True

    async def supervise(
        self,
        name: str,
        fn: ActorFn,
        *args: Any,
        task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Run ``fn`` until it returns, restarting it whenever it raises.

        ``task_status.started`` fires with the value of the actor's first start, so a caller
        can ``await nursery.start(sup.supervise, ...)`` and know the actor is ready.
        """
        status = self.actors.setdefault(name, ActorStatus(name))
        current_actor.set(name)
        reported = False
        while True:
            status.last_started = trio.current_time()
            try:
                with trio.CancelScope() as scope:
                    status.scope = scope
                    async with trio.open_nursery() as nursery:
                        value = await nursery.start(_call, fn, args)
                        status.state = "running"
                        if not reported:
                            task_status.started(value)
                            reported = True
                status.scope = None
                if scope.cancelled_caught and status.restart_requested:
                    status.restart_requested = False
                    status.manual_restarts += 1
                    log.info("actor_restarted", restarted_actor=name)
                    continue
            except Exception as exc:
                status.scope = None
                now = trio.current_time()
                up_for = now - status.last_started
                if up_for >= HEALTHY_AFTER_S:
                    status.consecutive_failures = 0
                status.consecutive_failures += 1
                status.failures.append(now)
                status.restarts += 1
                status.last_error = describe(exc)
                delay = restart_delay(status.consecutive_failures)
                looping = (
                    len(status.failures) == CRASH_LOOP_FAILURES
                    and now - status.failures[0] <= CRASH_LOOP_WINDOW_S
                )
                status.looping = looping
                status.state = "crash_loop" if looping else "backoff"
                log.exception(
                    "actor_failed",
                    failed_actor=name,
                    restarts=status.restarts,
                    restart_in_s=round(delay, 3),
                    crash_loop=looping,
                )
                await trio.sleep(delay)
                continue
            else:
                status.state = "stopped"
                log.info("actor_stopped", stopped_actor=name)
                if not reported:
                    task_status.started(None)
                return


@dataclass(frozen=True)
class Start:
    """An actor to start: ``after`` names the actors whose start it must wait for."""

    name: str
    fn: ActorFn
    after: tuple[str, ...] = ()


async def start_all(supervisor: Supervisor, nursery: trio.Nursery, starts: Sequence[Start]) -> None:
    """Supervise every actor in ``nursery``; return once each has reported its start.

    An actor's start waits only for the ones it names in ``after``; the others start at the
    same time (one after the other, their first reads and recovery writes took most of the
    daemon's start-up; at the same time, the storage actor commits them together).
    """
    started = {s.name: trio.Event() for s in starts}
    unknown = sorted({n for s in starts for n in s.after} - started.keys())
    if unknown:
        raise ValueError(f"actors to start after are not started here: {', '.join(unknown)}")

    async def start(spec: Start) -> None:
        for name in spec.after:
            await started[name].wait()
        await nursery.start(supervisor.supervise, spec.name, spec.fn)
        started[spec.name].set()

    async with trio.open_nursery() as starting:
        for spec in starts:
            starting.start_soon(start, spec)


def describe(exc: BaseException) -> str:
    """``Type: message`` of the error itself, not of the nursery group wrapping it."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


async def _call(fn: ActorFn, args: tuple[Any, ...], *, task_status: trio.TaskStatus[Any]) -> None:
    await fn(*args, task_status=task_status)
