"""The longest a write waits while a retention run deletes from a year of data (issue 16).

A copy of a database built by ``bench/pages_at_scale.py`` (the run deletes rows, so the
built file itself is left as it is) is opened by the real daemon in this process; a writer
writes one setting every ``--every-ms`` through the storage actor, as a webhook would,
while ``recado.actors.retention`` deletes everything older than ``--keep-days`` of every
kind and gives the freed pages back. Prints each write's wait (p50 / p99 / max), first with
the writer alone for a few seconds (the disk's and the machine's share), then during the
run, and the run's rows, batches and longest batch. Target: no write waits more than 50 ms.

Usage: .venv/bin/python bench/retention_pause.py
       --db /tmp/recado-pages-at-scale/1000000/var/recado.db
       [--work /tmp/recado-retention-pause] [--keep-days 390] [--every-ms 2]
       [--trace commits.csv] [--runs unpaced,paced]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import trio

from recado.actors.retention import Retention
from recado.clock import TrioClock
from recado.config import load_config
from recado.daemon.hooks import DaemonHooks
from recado.daemon.main import run_daemon
from recado.rules.retention import KINDS
from recado.runtime.context import Daemon
from recado.storage.settings import set_setting
from recado.testing.daemon_process import write_config


class Commit(NamedTuple):
    at_s: float  # since the bench started
    ms: float
    wal_before: int  # bytes
    wal_after: int


def tracing_connection(commits: list[Commit]) -> type[sqlite3.Connection]:
    """A connection class that records each COMMIT the storage actor's writer runs: how long
    it took and the write-ahead log's size around it (``--trace``)."""
    t0 = time.perf_counter()

    class Traced(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if sql != "COMMIT":
                return super().execute(sql, *args)
            wal = Path(self.execute("PRAGMA database_list").fetchone()[2] + "-wal")
            before = wal.stat().st_size if wal.exists() else 0
            started = time.perf_counter()
            cursor = super().execute(sql, *args)
            ended = time.perf_counter()
            after = wal.stat().st_size if wal.exists() else 0
            commits.append(Commit(started - t0, (ended - started) * 1000, before, after))
            return cursor

    return Traced


async def _writer(daemon: Daemon, every_s: float, done: trio.Event, waits: list[float]) -> None:
    n = 0
    while not done.is_set():
        t0 = time.perf_counter()
        await daemon.storage.write(set_setting, "bench_probe", n, daemon.clock.now())
        waits.append((time.perf_counter() - t0) * 1000)
        n += 1
        await trio.sleep(every_s)


def _q(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def retention_pause(
    directory: Path,
    keep_days: int,
    every_ms: float,
    baseline_s: float = 5.0,
    commits: list[Commit] | None = None,
    paced: bool = True,
) -> dict[str, float]:
    """A retention run inside the daemon on ``directory``'s database keeping ``keep_days``
    of every kind, while a writer writes: its waits and what the run did (and, given
    ``commits``, every commit of the writer appended to it)."""
    periods = "".join(f"{kind}_days = {keep_days}\n" for kind in KINDS)
    # No services: nothing but the run and the writer is asked of the daemon.
    config = write_config(directory, f"[retention]\n{periods}")
    clock = TrioClock(datetime.now(UTC))
    async with trio.open_nursery() as nursery:
        daemon: Daemon = await nursery.start(
            lambda task_status: run_daemon(
                load_config(config),
                config,
                install_signals=False,
                clock=clock,
                hooks=DaemonHooks(
                    storage_connection=None if commits is None else tracing_connection(commits)
                ),
                task_status=task_status,
            )
        )
        # The same writer with nothing else to wait for first: what the disk and the machine
        # make a write wait anyway, so the run's share of each figure can be told apart.
        # The actors' first turns after the start go first.
        await trio.sleep(3)
        alone: list[float] = []
        quiet = trio.Event()
        nursery.start_soon(_writer, daemon, every_ms / 1000, quiet, alone)
        await trio.sleep(baseline_s)
        quiet.set()
        waits: list[float] = []
        done = trio.Event()
        nursery.start_soon(_writer, daemon, every_ms / 1000, done, waits)
        t0 = time.perf_counter()
        run = await Retention(daemon, paced=paced).run_once()
        took = time.perf_counter() - t0
        done.set()
        checkpointer = daemon.storage.checkpointer
        daemon.stopping.set()
    return {
        "alone_writes": len(alone),
        "alone_p50_ms": statistics.median(alone),
        "alone_p99_ms": _q(alone, 0.99),
        "alone_max_ms": max(alone),
        "alone_over_50ms": sum(w > 50 for w in alone),
        "rows": sum(run.rows.values()),
        "batches": run.batches,
        "pages_freed": run.pages_freed,
        "run_s": took,
        "longest_batch_ms": run.longest_batch_ms,
        "writes": len(waits),
        "write_p50_ms": statistics.median(waits),
        "write_p99_ms": _q(waits, 0.99),
        "write_max_ms": max(waits),
        "write_over_50ms": sum(w > 50 for w in waits),
        "checkpoints": checkpointer.checkpoints,
        "longest_checkpoint_ms": checkpointer.longest_ms,
        "copy_waits": checkpointer.waits,
        "copy_waits_partial": checkpointer.partial,
        "copy_waited_s": checkpointer.waited_s,
        "writer_copies": checkpointer.writer_copies,
    }


def copy_database(db: Path, work: Path) -> Path:
    """``db`` (and its WAL, if any) copied into ``work``'s data directory."""
    target = work / "var" / "recado.db"
    if work.exists():
        shutil.rmtree(work)
    target.parent.mkdir(parents=True)
    for suffix in ("", "-wal"):
        source = db.with_name(db.name + suffix)
        if source.exists():
            copy = target.with_name(target.name + suffix)
            shutil.copyfile(source, copy)
            # On the disk before the daemon starts: else the first fsync of the file (the
            # first checkpoint's) writes out gigabytes of the copy, and a write waits a second
            # for what is not retention's doing at all.
            with copy.open("rb+") as f:
                os.fsync(f.fileno())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/recado-retention-pause"))
    parser.add_argument("--keep-days", type=int, default=390)
    parser.add_argument("--every-ms", type=float, default=2.0)
    parser.add_argument(
        "--trace", type=Path, help="write every commit (time, ms, log size around it) as CSV"
    )
    parser.add_argument(
        "--runs",
        default="unpaced,paced",
        help="which runs, each on a fresh copy: unpaced (batches back to back, the "
        "baseline), paced (each batch waits for the log to be copied back, as the daemon does)",
    )
    args = parser.parse_args()
    for name in args.runs.split(","):
        print(f"copying {args.db} ...", flush=True)
        copy_database(args.db, args.work)
        commits: list[Commit] | None = [] if args.trace else None
        figures = trio.run(
            retention_pause, args.work, args.keep_days, args.every_ms, 5.0, commits, name == "paced"
        )
        print(
            f"{name}: retention keeping {args.keep_days} days of each kind, a write every "
            f"{args.every_ms:g} ms: " + ", ".join(f"{k} {v:,.1f}" for k, v in figures.items()),
            flush=True,
        )
        if args.trace and commits is not None:
            trace = args.trace.with_name(f"{args.trace.stem}-{name}{args.trace.suffix}")
            trace.write_text(
                "at_s,ms,wal_before,wal_after\n"
                + "".join(
                    f"{c.at_s:.4f},{c.ms:.2f},{c.wal_before},{c.wal_after}\n" for c in commits
                )
            )
            slow = [c for c in commits if c.ms > 30]
            grew = sum(c.wal_after > c.wal_before for c in slow)
            print(f"  commits {len(commits)}, over 30 ms {len(slow)} (the log grew in {grew})")
        shutil.rmtree(args.work)


if __name__ == "__main__":
    main()
