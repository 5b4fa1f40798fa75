"""A storage fault is never a record's fault (issue 10): while another process holds the
database's write lock past the busy timeout, the sender and the delivery worker keep their
records as they are, back off without restarting, and finish the work once the lock goes."""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trio
import trio.testing

from recado.actors.isolation import STORAGE_RETRY_S, until_stored
from recado.clock import TrioClock, parse_iso
from recado.logs import get_logger
from recado.runtime.context import Daemon
from recado.storage.faults import CommitFailed
from tests.hub_helpers import hub_stack, real_pause
from tests.test_sender import book, stack
from tests.webhook_helpers import query

# Longer than the writer's busy_timeout (5 s): its commits fail as a StorageFault meanwhile.
LOCK_HELD_S = 6.5


@contextmanager
def write_lock(daemon: Daemon) -> Iterator[None]:
    conn = sqlite3.connect(daemon.storage.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


async def _until(daemon: Daemon, sql: str, expected: object) -> None:
    for _ in range(200):
        if query(daemon, sql) == expected:
            return
        await trio.to_thread.run_sync(time.sleep, 0.05)
    assert query(daemon, sql) == expected


async def test_the_sender_keeps_a_job_through_a_storage_fault(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with stack(daemon_dir, clock=clock) as (daemon, double, client):
        await book(daemon, client, starts_in=timedelta(days=2))
        await _until(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_created'",
            [{"state": "sent"}],
        )
        (row,) = query(daemon, "SELECT due_at FROM messages WHERE kind = 'appointment_reminder'")
        await real_pause()
        with write_lock(daemon):
            mock_clock.jump((parse_iso(row["due_at"]) - clock.now()).total_seconds() + 1)
            await real_pause(LOCK_HELD_S)
            rows = query(daemon, "SELECT state FROM messages WHERE kind = 'appointment_reminder'")
            assert rows == [{"state": "queued"}]
        mock_clock.jump(STORAGE_RETRY_S + 0.1)
        await _until(
            daemon,
            "SELECT state, attempts FROM messages WHERE kind = 'appointment_reminder'",
            [{"state": "sent", "attempts": 1}],
        )
        assert len(double.sends()) == 2
        # (stack() asserts on exit that no actor was restarted.)


async def test_the_delivery_worker_keeps_a_delivery_through_a_storage_fault(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = (
        '[[flows]]\nevent = "service.completed"\n'
        'actions = [{action = "http:ops:POST:/feedback", delay = "1h"}]\n'
    )
    async with hub_stack(daemon_dir, ("ops",), flows, clock=TrioClock(datetime.now(UTC))) as hub:
        await hub.event("svc_1", "service.completed")
        await hub.until("SELECT state FROM deliveries", [{"state": "pending"}])
        await real_pause()
        with write_lock(hub.daemon):
            mock_clock.jump(3601)
            await real_pause(LOCK_HELD_S)
            assert [d["state"] for d in hub.deliveries()] == ["pending"]
        mock_clock.jump(STORAGE_RETRY_S + 0.1)
        await hub.until(
            "SELECT state, attempts FROM deliveries", [{"state": "done", "attempts": 1}]
        )
        # At least once, always with the same key: the destination can drop the repeat.
        keys = hub.services["ops"].keys()
        assert keys and set(keys) == {"svc_1:http:ops:POST:/feedback"}
        # (hub_stack() asserts on exit that no actor was restarted.)


async def test_an_answer_that_cannot_be_written_is_written_once_storage_works(
    daemon_dir: Path,
) -> None:
    """The request went out and Meta answered while commits failed: the job does not stay
    ``sending`` (until a restart made it uncertain); its outcome is written once storage
    works again, and the message is never sent twice."""
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(1, 132001, after_s=1.0)
        await book(daemon, client)
        for _ in range(200):
            if double.sends():
                break
            await real_pause(0.02)
        with write_lock(daemon):
            # The answer arrives within the second; its write fails after the busy timeout.
            await real_pause(LOCK_HELD_S)
        await _until(
            daemon,
            "SELECT state, reason_code FROM messages WHERE kind = 'appointment_created'",
            [{"state": "failed", "reason_code": "graph_132001"}],
        )
        assert len(double.sends()) == 1


async def test_a_step_is_run_again_after_each_storage_fault_and_nothing_else(
    mock_clock: trio.testing.MockClock,
) -> None:
    mock_clock.autojump_threshold = 0
    tries: list[float] = []

    async def step() -> str:
        tries.append(trio.current_time())
        if len(tries) < 3:
            raise CommitFailed("disk full", kind="disk_full")
        return "stored"

    assert await until_stored(step, get_logger("test"), "test_storage_fault") == "stored"
    # Each try after a pause, not at once against a broken disk.
    assert [b - a for a, b in itertools.pairwise(tries)] == [STORAGE_RETRY_S] * 2

    async def broken() -> None:
        raise ValueError("a bug, not the storage")

    with pytest.raises(ValueError):
        await until_stored(broken, get_logger("test"), "test_storage_fault")
