"""Every write the daemon acknowledged survives ``kill -9`` at a random moment.

The real daemon runs as a child process; writes go through the test-only route, which answers
only after the storage actor reports the commit. After each kill the database file is opened
as it was left, and the daemon is started again on it.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import trio

from recado.testing.daemon_process import DaemonProcess, write_config
from tests.crash_driver import RequestBuilder, post_until_killed

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


def _write(run: int) -> RequestBuilder:
    def build(i: int) -> tuple[str, str, dict[str, Any]]:
        key = f"{run}-{i}"
        return key, "/_test/write", {"json": {"key": key}}

    return build


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
        acked = await post_until_killed(
            daemon,
            daemon.operator_url,
            _write(run),
            total=WRITES_PER_RUN,
            concurrency=CONCURRENCY,
            kill_after=kill_after,
        )
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
