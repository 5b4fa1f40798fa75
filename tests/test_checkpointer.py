"""During a retention run the write-ahead log is copied back into the database file on a
thread of its own (storage/checkpointer.py), never inside a write's commit: SQLite's
automatic checkpoint made the write that took the log past 1,000 pages, and every write
queued behind it, wait for the copy and an fsync of the file (up to 1.1 s during a
retention run at 1 M)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import trio

from recado.storage.actor import Storage
from recado.storage.checkpointer import copy_rest_on_writer


def _autocheckpoint(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def _fill(conn: sqlite3.Connection, n: int) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, b BLOB)")
    conn.executemany("INSERT INTO blobs(b) VALUES (?)", [(b"x" * 4000,) for _ in range(n)])


async def test_commits_never_checkpoint_and_the_log_is_still_copied_back(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    storage = Storage(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(storage.run)
        assert await storage.write(_autocheckpoint) == 1000
        async with storage.checkpoints_apart():
            assert await storage.write(_autocheckpoint) == 0
            before = path.stat().st_size
            # Well past the 1,000 pages at which SQLite would checkpoint inside a commit.
            for _ in range(6):
                await storage.write(_fill, 250)
            # The copy happens on the checkpointer's thread, in real time.
            for _ in range(200):
                if path.stat().st_size > before + 4_000_000:
                    break
                await trio.to_thread.run_sync(time.sleep, 0.05)
            assert path.stat().st_size > before + 4_000_000
            assert storage.checkpointer.checkpoints > 0
        # After it, ordinary writes are back on SQLite's own checkpoints.
        assert await storage.write(_autocheckpoint) == 1000
        await storage.close()
    # Every row is in the file once the storage stopped.
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 1500
    conn.close()


async def test_the_checkpointer_stops_when_the_run_of_batches_ends(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "r.db")
    async with trio.open_nursery() as nursery:
        await nursery.start(storage.run)
        with pytest.raises(RuntimeError):
            async with storage.checkpoints_apart():
                await storage.write(_fill, 10)
                raise RuntimeError("a run that failed half-way")
        assert storage.checkpointer._thread is None
        assert await storage.write(_autocheckpoint) == 1000
        await storage.close()


async def test_a_paced_run_waits_for_its_pages_to_be_copied_back(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    wal = path.with_name("r.db-wal")
    storage = Storage(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(storage.run)
        async with storage.checkpoints_apart():
            sizes = []
            for _ in range(8):
                await storage.write(_fill, 200)  # about 200 pages of log a batch
                assert await storage.log_copied(5.0)
                sizes.append(wal.stat().st_size)
            # Copied back before each next batch: the log is rewound and written over in
            # place, so it stays the size of the first batch, not of the eight of them.
            assert max(sizes) < 2 * sizes[0], sizes
        await storage.close()


async def test_a_reader_s_snapshot_holds_the_copy_back_until_the_wait_gives_up(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.db"
    storage = Storage(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(storage.run)
        await storage.write(_fill, 1)
        async with storage.checkpoints_apart():
            reader = sqlite3.connect(path, isolation_level=None)
            reader.execute("BEGIN")
            reader.execute("SELECT COUNT(*) FROM blobs").fetchone()  # its snapshot starts
            await storage.write(_fill, 50)
            # The frames after the reader's snapshot cannot be copied while it reads.
            assert not await storage.log_copied(0.3)
            reader.execute("COMMIT")
            reader.close()
            assert await storage.log_copied(5.0)
        await storage.close()


def test_outside_a_run_there_is_nothing_to_wait_for(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "r.db")
    started = time.monotonic()
    # No checkpointer runs: the wait ends at once, not when its 60 s are up.
    assert storage.checkpointer.wait_copied(60.0) is False
    assert time.monotonic() - started < 30.0


def _log_frames(path: Path) -> int:
    other = sqlite3.connect(path)
    try:
        return int(other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        other.close()


def test_past_the_limit_the_writer_copies_the_rest_and_the_log_is_rewound(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    wal = path.with_name("r.db-wal")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    limit = 2 * 1024 * 1024
    _fill(conn, 20)
    assert 0 < wal.stat().st_size < limit
    assert not copy_rest_on_writer(conn, wal, limit)  # under the limit: nothing to do
    _fill(conn, 600)
    assert wal.stat().st_size > limit
    assert copy_rest_on_writer(conn, wal, limit)
    # The next write starts the log over: it holds that write's frames, not the 500 rows.
    _fill(conn, 1)
    assert _log_frames(path) < 10
    conn.close()
