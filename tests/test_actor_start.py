"""The daemon starts its actors at the same time, except where one's start needs another's.

READY=1 is sent once ``start_all`` returns, so what it promises rests on two guarantees
pinned here: an actor's run begins only after every actor it names in ``after`` has reported
its start (the sender finds the connection's token in memory), and ``start_all`` returns only
once every actor has reported its start (recovery done before ready). Starting them one after
the other took most of the start-up; the time asserted here is the longest chain of starts,
not their sum.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from recado.daemon.main import START_AFTER
from recado.runtime.supervisor import Start, Supervisor, start_all
from tests.conftest import running_daemon

# An actor: how long its start takes, whether its first start fails (the supervisor starts
# it again 0.1 s later), and the earlier actors it names in ``after``.
actor = st.tuples(
    st.integers(min_value=0, max_value=5),
    st.booleans(),
    st.sets(st.integers(min_value=0, max_value=7), max_size=3),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(actor, min_size=1, max_size=8))
def test_each_actor_starts_after_the_ones_it_names_and_the_rest_start_together(
    drawn: list[tuple[int, bool, set[int]]],
) -> None:
    names = [f"a{i}" for i in range(len(drawn))]
    # Only earlier actors can be named, so the drawn relation has no cycle.
    after = [tuple(names[j] for j in sorted(deps) if j < i) for i, (_, _, deps) in enumerate(drawn)]
    began: dict[str, float] = {}
    reported: dict[str, float] = {}

    def make(i: int) -> Start:
        name, (seconds, fails_once, _) = names[i], drawn[i]
        attempts = [0]

        async def run(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            attempts[0] += 1
            began.setdefault(name, trio.current_time())
            await trio.sleep(seconds)
            if fails_once and attempts[0] == 1:
                raise RuntimeError("first start fails")
            reported[name] = trio.current_time()
            task_status.started()
            await trio.sleep_forever()

        return Start(name, run, after[i])

    async def main() -> float:
        sup = Supervisor()
        async with trio.open_nursery() as nursery:
            await start_all(sup, nursery, [make(i) for i in range(len(drawn))])
            returned = trio.current_time()
            assert set(reported) == set(names)
            assert all(sup.actors[n].state == "running" for n in names)
            nursery.cancel_scope.cancel()
        return returned

    returned = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))

    finish: dict[str, float] = {}
    for i, name in enumerate(names):
        for dep in after[i]:
            assert began[name] >= reported[dep], f"{name} began before {dep} had started"
        seconds, fails_once = drawn[i][0], drawn[i][1]
        ready_at = max((finish[d] for d in after[i]), default=0.0)
        own = 2 * seconds + 0.1 if fails_once else seconds
        finish[name] = ready_at + own
        assert reported[name] == pytest.approx(finish[name])
    assert returned == pytest.approx(max(finish.values()))


async def test_an_actor_named_in_after_must_be_among_those_started() -> None:
    async def idle(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()

    async with trio.open_nursery() as nursery:
        with pytest.raises(ValueError, match="ghost"):
            await start_all(Supervisor(), nursery, [Start("a", idle, ("ghost",))])


def test_the_daemon_starts_each_actor_after_those_whose_start_it_reads() -> None:
    # The sender and the template sync read the connection's token at their start; the
    # breaker monitor moves the breakers the delivery worker loads at its start.
    assert START_AFTER == {
        "sender": ("whatsapp_connection",),
        "template_sync": ("whatsapp_connection",),
        "breaker_monitor": ("delivery_worker",),
    }


async def test_ready_means_every_actor_has_started(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon:
        assert daemon.ready
        states = {name: st.state for name, st in daemon.supervisor.actors.items()}
        assert {"sender", "whatsapp_connection", "delivery_worker", "sync_runner"} <= set(states)
        assert set(states.values()) == {"running"}
