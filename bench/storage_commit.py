"""How much of SQLite's own write rate the storage actor keeps, and what group commit buys.

Prints, in one run on one disk:
  (a) raw sqlite3, one row per transaction           (the disk's fsync bound)
  (b) raw sqlite3, rows in 64-row transactions       (the group bound)
  (c) the storage actor, 64 concurrent trio writers, group commit on
  (d) the same with group commit off (one write per transaction)
and the ratios c/b (target ≥ 0.5) and c/d (target ≥ 5). It also prints
  (e) the event-loop floor: 64 trio tasks handing requests to a thread and being woken,
      with no SQLite at all
because c can never exceed 1 / (1/b + 1/e) while every writer waits for its own commit:
the loop's wake-ups and the thread's SQLite work take turns on the GIL.

Usage: .venv/bin/python bench/storage_commit.py [--seconds 3] [--dir ./var/bench]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import trio

from recado.storage.actor import MAX_BATCH, Storage, connect_writer

WRITERS = 64
GROUP = 64
PAYLOAD = "x" * 200


def _fresh(directory: Path, name: str) -> Path:
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _create(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, body TEXT)")


def _insert(conn: sqlite3.Connection, body: str) -> None:
    conn.execute("INSERT INTO bench(body) VALUES (?)", (body,))


def raw_rows_per_s(directory: Path, rows_per_tx: int, seconds: float) -> float:
    conn = connect_writer(_fresh(directory, f"raw{rows_per_tx}.db"))
    _create(conn)
    rows = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(rows_per_tx):
            _insert(conn, PAYLOAD)
        conn.execute("COMMIT")
        rows += rows_per_tx
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


async def actor_writes_per_s(directory: Path, group_commit: bool, seconds: float) -> float:
    # One write per transaction when group commit is off.
    storage = Storage(
        _fresh(directory, f"actor-{group_commit}.db"), max_batch=MAX_BATCH if group_commit else 1
    )
    done = 0
    async with trio.open_nursery() as nursery:
        await nursery.start(storage.run)
        await storage.write(_create)
        started = trio.current_time()
        deadline = started + seconds

        async def writer() -> None:
            nonlocal done
            while trio.current_time() < deadline:
                await storage.write(_insert, PAYLOAD)
                done += 1

        async with trio.open_nursery() as writers:
            for _ in range(WRITERS):
                writers.start_soon(writer)
        elapsed = trio.current_time() - started
        await storage.close()
    storage.close_files()
    return done / elapsed


async def handoff_floor_per_s(seconds: float) -> float:
    """Requests/s through the same queue → thread → reschedule path, doing nothing."""
    import queue
    import threading

    import outcome

    requests: queue.SimpleQueue[trio.lowlevel.Task | None] = queue.SimpleQueue()
    token = trio.lowlevel.current_trio_token()

    def answer(batch: list[trio.lowlevel.Task]) -> None:
        for task in batch:
            trio.lowlevel.reschedule(task, outcome.Value(None))

    def worker() -> None:
        while (first := requests.get()) is not None:
            batch = [first]
            while True:
                try:
                    item = requests.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    return
                batch.append(item)
            token.run_sync_soon(answer, batch)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    done = 0
    started = trio.current_time()
    deadline = started + seconds

    async def writer() -> None:
        nonlocal done
        while trio.current_time() < deadline:
            requests.put(trio.lowlevel.current_task())
            await trio.lowlevel.wait_task_rescheduled(lambda _: trio.lowlevel.Abort.FAILED)
            done += 1

    async with trio.open_nursery() as nursery:
        for _ in range(WRITERS):
            nursery.start_soon(writer)
    elapsed = trio.current_time() - started
    requests.put(None)
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measure")
    parser.add_argument("--dir", type=Path, default=Path("var/bench"), help="where the files go")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        a = raw_rows_per_s(directory, 1, args.seconds)
        b = raw_rows_per_s(directory, GROUP, args.seconds)
        c = trio.run(actor_writes_per_s, directory, True, args.seconds)
        d = trio.run(actor_writes_per_s, directory, False, args.seconds)
        e = trio.run(handoff_floor_per_s, args.seconds)
    finally:
        shutil.rmtree(directory)
    print(f"disk: {args.dir.resolve()}  (synchronous=FULL, WAL)")
    print(f"(a) raw sqlite3, 1 row/transaction:       {a:10.0f} rows/s")
    print(f"(b) raw sqlite3, {GROUP} rows/transaction:     {b:10.0f} rows/s   (b/a = {b / a:.1f})")
    print(f"(c) storage actor, {WRITERS} writers, group:   {c:10.0f} writes/s")
    print(f"(d) storage actor, {WRITERS} writers, no group:{d:10.0f} writes/s")
    print(f"(e) event-loop floor, {WRITERS} tasks, no SQLite:{e:8.0f} requests/s")
    print(f"c/b = {c / b:.2f}   (target >= 0.5)")
    print(
        f"ceiling 1/(1/b + 1/e) = {1 / (1 / b + 1 / e):.0f} writes/s; c reaches "
        f"{c / (1 / (1 / b + 1 / e)):.0%} of it"
    )
    print(f"c/d = {c / d:.1f}    (target >= 5)")


if __name__ == "__main__":
    main()
