"""The supervisor restarts failing actors with growing delays and never swallows cancels."""

from __future__ import annotations

import itertools

import pytest
import trio

from recado.runtime.supervisor import Supervisor, restart_delay


def test_restart_delay_doubles_up_to_30s() -> None:
    assert [restart_delay(n) for n in range(1, 11)] == [
        0.1,
        0.2,
        0.4,
        0.8,
        1.6,
        3.2,
        6.4,
        12.8,
        25.6,
        30.0,
    ]


async def test_failing_actor_restarts_with_growing_delays(autojump_clock: trio.abc.Clock) -> None:
    sup = Supervisor()
    starts: list[float] = []
    survivor_ticks: list[float] = []

    async def flaky(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        starts.append(trio.current_time())
        if len(starts) <= 4:
            raise RuntimeError(f"boom {len(starts)}")
        await trio.sleep_forever()

    async def survivor() -> None:
        for _ in range(5):
            await trio.sleep(1)
            survivor_ticks.append(trio.current_time())

    t0 = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(survivor)
        await nursery.start(sup.supervise, "flaky", flaky)
        await trio.sleep(10)
        gaps = [round(b - a, 6) for a, b in itertools.pairwise(starts)]
        assert gaps == [0.1, 0.2, 0.4, 0.8]
        status = sup.actors["flaky"]
        assert status.restarts == 4
        assert status.state == "running"
        assert status.last_error == "RuntimeError: boom 4"
        nursery.cancel_scope.cancel()
    # The process (here: the sibling task) lived on through every failure.
    assert [round(t - t0) for t in survivor_ticks] == [1, 2, 3, 4, 5]


async def test_five_failures_in_a_minute_is_a_crash_loop(autojump_clock: trio.abc.Clock) -> None:
    sup = Supervisor()

    async def broken(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        raise OSError("disk on fire")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(sup.supervise, "broken", broken)
        await trio.sleep(0.1 + 0.2 + 0.4 + 0.8 + 0.05)
        assert sup.actors["broken"].restarts == 5
        assert sup.crash_looping() == ["broken"]
        assert sup.snapshot()["broken"]["state"] == "crash_loop"
        nursery.cancel_scope.cancel()


async def test_backoff_resets_after_a_healthy_minute(autojump_clock: trio.abc.Clock) -> None:
    sup = Supervisor()
    starts: list[float] = []

    async def actor(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        starts.append(trio.current_time())
        if len(starts) in (1, 2):
            raise RuntimeError("early")
        if len(starts) == 3:
            await trio.sleep(61)
            raise RuntimeError("after a healthy minute")
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(sup.supervise, "a", actor)
        await trio.sleep(100)
        gaps = [round(b - a, 6) for a, b in itertools.pairwise(starts)]
        # 0.1, 0.2, then 61 s up, then the delay starts over at 0.1.
        assert gaps == [0.1, 0.2, 61.1]
        assert not sup.crash_looping()
        nursery.cancel_scope.cancel()


async def test_cancellation_is_not_swallowed(autojump_clock: trio.abc.Clock) -> None:
    sup = Supervisor()

    async def stubborn(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await trio.sleep_forever()

    with trio.move_on_after(5) as scope:
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.supervise, "s", stubborn)
    assert scope.cancelled_caught
    assert sup.actors["s"].restarts == 0


async def test_actor_that_returns_is_stopped_not_restarted(autojump_clock: trio.abc.Clock) -> None:
    sup = Supervisor()
    runs = 0

    async def once(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        nonlocal runs
        runs += 1
        task_status.started()

    async with trio.open_nursery() as nursery:
        await nursery.start(sup.supervise, "once", once)
    assert runs == 1
    assert sup.actors["once"].state == "stopped"


@pytest.mark.parametrize("n", [1, 2])
async def test_started_value_is_passed_through(n: int) -> None:
    sup = Supervisor()

    async def ready(*, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started(n * 10)
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        assert await nursery.start(sup.supervise, "r", ready) == n * 10
        nursery.cancel_scope.cancel()
