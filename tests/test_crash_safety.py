"""Every write the daemon acknowledged survives ``kill -9`` at a random moment.

The real daemon runs as a child process; writes go through the test-only route, which answers
only after the storage actor reports the commit. After each kill the database file is opened
as it was left, and the daemon is started again on it.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import httpx
import pytest
import trio

from recado.testing.daemon_process import DaemonProcess, write_config

RUNS = 20
WRITES_PER_RUN = 2000
CONCURRENCY = 32


def _present_keys(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'test_acks'").fetchone()
        if not exists:
            return set()
        return {row[0] for row in conn.execute("SELECT key FROM test_acks")}


async def _drive_and_kill(daemon: DaemonProcess, run: int, kill_after: int) -> set[str]:
    acked: set[str] = set()
    pending = iter(range(WRITES_PER_RUN))
    killed = trio.Event()

    async def writer(client: httpx.AsyncClient) -> None:
        for i in pending:
            key = f"{run}-{i}"
            try:
                response = await client.post("/_test/write", json={"key": key})
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                acked.add(key)
            if len(acked) >= kill_after and not killed.is_set():
                # The kill lands while other writers have requests in flight.
                killed.set()
                daemon.kill()
                return

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with (
        httpx.AsyncClient(base_url=daemon.operator_url, limits=limits, timeout=10) as client,
        trio.open_nursery() as nursery,
    ):
        for _ in range(CONCURRENCY):
            nursery.start_soon(writer, client)
    daemon.kill()
    return acked


@pytest.mark.slow
async def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    config = write_config(tmp_path)
    db = tmp_path / "var" / "recado.db"
    all_acked: set[str] = set()
    kill_points = []
    for run in range(RUNS):
        daemon = DaemonProcess(config)
        await trio.to_thread.run_sync(daemon.start)
        kill_after = rng.randrange(1, WRITES_PER_RUN - CONCURRENCY)
        kill_points.append(kill_after)
        acked = await _drive_and_kill(daemon, run, kill_after)
        assert len(acked) >= kill_after
        all_acked |= acked
        present = _present_keys(db)
        lost = all_acked - present
        assert not lost, f"run {run}: {len(lost)} acknowledged writes lost, e.g. {sorted(lost)[:5]}"
    # One more clean start on the same file: the daemon recovers it and still sees everything.
    daemon = DaemonProcess(config)
    await trio.to_thread.run_sync(daemon.start)
    assert daemon.terminate() == 0
    assert all_acked <= _present_keys(db)
    assert len(set(kill_points)) == RUNS
