"""The storage actor against a real SQLite file: durability, group commit, isolation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import trio
import trio.testing

from recado.storage.actor import Storage
from recado.storage.migrate import SchemaTooNew, available


def _create(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER)")


def _put(conn: sqlite3.Connection, k: str, v: int) -> int:
    conn.execute("INSERT INTO t(k, v) VALUES (?, ?)", (k, v))
    return v * 2


def _boom(conn: sqlite3.Connection, k: str) -> None:
    conn.execute("INSERT INTO t(k, v) VALUES (?, 0)", (k,))
    raise ValueError(f"refused {k}")


def _all(conn: sqlite3.Connection) -> dict[str, int]:
    return {r["k"]: r["v"] for r in conn.execute("SELECT k, v FROM t")}


async def _started(nursery: trio.Nursery, storage: Storage) -> Storage:
    await nursery.start(storage.run)
    await storage.write(_create)
    return storage


async def test_write_returns_value_and_is_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(path))
        assert await storage.write(_put, "a", 21) == 42
        await storage.close()
    storage.close_files()
    # A different connection, as after a restart, sees the committed row.
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT v FROM t WHERE k='a'").fetchone() == (21,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_concurrent_writers_share_commits(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(tmp_path / "r.db"))
        before = storage.stats.batches

        async def writer(i: int) -> None:
            await storage.write(_put, f"k{i}", i)

        async with trio.open_nursery() as writers:
            for i in range(200):
                writers.start_soon(writer, i)
        batches = storage.stats.batches - before
        assert storage.stats.largest_batch > 1
        assert batches < 200
        assert len(await storage.read(_all)) == 200
        await storage.close()
    storage.close_files()


async def test_group_commit_off_commits_one_write_per_batch(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(tmp_path / "r.db", max_batch=1))
        async with trio.open_nursery() as writers:
            for i in range(20):
                writers.start_soon(storage.write, _put, f"k{i}", i)
        assert storage.stats.largest_batch == 1
        await storage.close()
    storage.close_files()


async def test_failing_write_rolls_back_alone(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(tmp_path / "r.db"))
        results: dict[str, object] = {}

        async def good(k: str) -> None:
            results[k] = await storage.write(_put, k, 1)

        async def bad(k: str) -> None:
            try:
                await storage.write(_boom, k)
            except ValueError as exc:
                results[k] = str(exc)

        async with trio.open_nursery() as writers:
            writers.start_soon(good, "a")
            writers.start_soon(bad, "b")
            writers.start_soon(good, "c")
        assert results == {"a": 2, "b": "refused b", "c": 2}
        # The failing write's own insert was rolled back; its neighbours committed.
        assert await storage.read(_all) == {"a": 1, "c": 1}
        await storage.close()
    storage.close_files()


async def test_constraint_violation_reaches_the_caller(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(tmp_path / "r.db"))
        await storage.write(_put, "a", 1)
        with pytest.raises(sqlite3.IntegrityError):
            await storage.write(_put, "a", 2)
        assert await storage.read(_all) == {"a": 1}
        await storage.close()
    storage.close_files()


async def test_reads_cannot_write(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(tmp_path / "r.db"))
        with pytest.raises(sqlite3.OperationalError):
            await storage.read(_put, "x", 1)
        await storage.close()
    storage.close_files()


async def test_close_commits_what_is_queued(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    storage = Storage(path)
    acked: list[int] = []
    async with trio.open_nursery() as nursery:
        await _started(nursery, storage)

        async def writer(i: int) -> None:
            await storage.write(_put, f"k{i}", i)
            acked.append(i)

        for i in range(50):
            nursery.start_soon(writer, i)
        # Every writer has queued its request (write() enqueues before its first await).
        await trio.testing.wait_all_tasks_blocked()
        await storage.close()
    storage.close_files()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 50
    assert sorted(acked) == list(range(50))


async def test_write_after_close_is_refused(tmp_path: Path) -> None:
    from recado.storage.actor import StorageUnavailable

    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(tmp_path / "r.db"))
        await storage.close()
    with pytest.raises(StorageUnavailable):
        await storage.write(_put, "late", 1)
    storage.close_files()


def test_migrations_record_version(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "r.db")
    version = storage.open_sync()
    assert version == available()[-1].version
    storage.close_files()
    # Opening again applies nothing new.
    again = Storage(tmp_path / "r.db")
    assert again.open_sync() == version
    again.close_files()


def test_newer_schema_is_refused_naming_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    storage = Storage(path)
    known = storage.open_sync()
    storage.close_files()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO schema_version(version, name, applied_at) VALUES (?, 'future', 'x')",
            (known + 5,),
        )
    with pytest.raises(SchemaTooNew) as info:
        Storage(path).open_sync()
    assert str(info.value) == (
        f"the database schema is version {known + 5}, but this recado knows versions up to "
        f"{known}; upgrade recado, or restore a backup made by this version"
    )


async def test_backup_is_consistent_and_verified(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        storage = await _started(nursery, Storage(tmp_path / "r.db"))
        for i in range(100):
            await storage.write(_put, f"k{i}", i)
        dest = tmp_path / "backups" / "b1.db"
        result = await storage.backup(dest)
        assert result.integrity_check == "ok"
        assert result.path == str(dest)
        with pytest.raises(FileExistsError):
            await storage.backup(dest)
        await storage.close()
    storage.close_files()
    with sqlite3.connect(dest) as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 100
    assert not (tmp_path / "backups" / "b1.db.partial").exists()
