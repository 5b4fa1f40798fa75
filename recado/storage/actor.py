"""The storage actor: the only writer of the SQLite file.

Every write is a plain function ``fn(conn, *args)`` sent to the actor. The actor takes every
request queued at the moment a batch starts, runs them in one transaction, commits once (one
fsync for the whole group) and only then answers the callers. A write that raises rolls back
alone (the batch is re-run with a SAVEPOINT per write) and its exception is re-raised to its
caller; the others in the batch still commit.

A write function must touch nothing but the connection it is given (no clock reads, no
random ids, no I/O): it may run twice when a neighbour in its batch fails.

Reads run on separate read-only connections (WAL lets them proceed beside the writer) in
worker threads, one connection per thread at a time, taken from a small pool.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import outcome
import trio

from recado.clock import SystemClock, iso
from recado.logs import get_logger
from recado.private_files import make_private
from recado.storage.backup import BackupDone, backup_to
from recado.storage.checkpointer import WAL_LIMIT_BYTES, Checkpointer, copy_rest_on_writer
from recado.storage.connections import Factory, connect_reader, connect_writer
from recado.storage.fault_alerts import keep_fault_alerts
from recado.storage.faults import (
    CommitFailed,
    FaultInfo,
    FaultState,
    StorageFault,
    StorageUnavailable,
    as_fault,
    check_writable,
    fault_kind,
    open_fault,
    refine_kind,
)
from recado.storage.migrate import migrate

log = get_logger("storage")

P = ParamSpec("P")
T = TypeVar("T")

# Bounds of one group commit: enough to amortize an fsync over many writers, small enough
# that no caller waits long behind a huge batch.
MAX_BATCH = 512
AUTOCHECKPOINT_PAGES = 1000  # SQLite's default


class _WriteRequest:
    """One queued write. The waiting task is parked with trio's lowest-level primitive and
    rescheduled with the write's outcome: the per-write cost on the event loop is what
    bounds the throughput of group commit in CPython, so no Event object per write."""

    __slots__ = ("abandoned", "args", "fn", "result", "task")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.result: outcome.Outcome[Any] | None = None
        self.task: trio.lowlevel.Task | None = None
        self.abandoned = False


@dataclass
class StorageStats:
    batches: int = 0
    writes: int = 0
    failed_writes: int = 0
    commit_failures: int = 0
    largest_batch: int = 0
    last_commit_ms: float = 0.0


def _answer(batch: list[_WriteRequest]) -> None:
    for req in batch:
        if req.task is not None and not req.abandoned:
            assert req.result is not None  # a batch is answered once every write settled
            trio.lowlevel.reschedule(req.task, req.result)
            req.task = None


def _call_in_trio(token: trio.lowlevel.TrioToken, fn: Callable[..., None], *args: Any) -> None:
    with suppress(trio.RunFinishedError):
        token.run_sync_soon(fn, *args)


_STOP = object()
# The writer thread died inside a batch (a bug, not a storage fault): answer, record nothing.
_CRASHED = object()


class Storage:
    """Owns the write connection; ``run`` is the actor, ``write``/``read`` are its API.

    The writer is a dedicated OS thread fed by a thread-safe queue. It starts the next batch
    the moment the previous commit returns, with whatever was queued by then, so trio can
    wake the last batch's callers while the thread already works on the next one.
    """

    def __init__(
        self,
        path: Path,
        *,
        max_batch: int = MAX_BATCH,
        readers: int = 4,
        now: Callable[[], datetime] | None = None,
        connection_factory: Factory = sqlite3.Connection,
    ) -> None:
        self.path = path
        self.connection_factory = connection_factory
        self.max_batch = max_batch
        self.stats = StorageStats()
        self.faults = FaultState()
        self.now = now or SystemClock().now
        self.schema_version: int | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._conn: sqlite3.Connection | None = None
        self._read_limiter = trio.CapacityLimiter(readers)
        self._read_pool: list[sqlite3.Connection] = []
        self._running = False
        self._closing = False
        self._stopped_reason: BaseException | None = None
        self.checkpointer = Checkpointer(path)
        self._wal = path.with_name(path.name + "-wal")
        # SQLite's own checkpoint every 1,000 pages of log, in the commit that crosses it;
        # 0 while ``checkpoints_apart`` runs them on the checkpointer's thread instead.
        self._autocheckpoint = AUTOCHECKPOINT_PAGES
        self._autocheckpoint_set = AUTOCHECKPOINT_PAGES

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._running

    @property
    def fault(self) -> FaultInfo | None:
        """The storage fault in force (cleared by the next successful commit), if any."""
        return self.faults.current

    async def wait_healthy(self) -> None:
        """Return once commits go through again (at once when there is no fault)."""
        await self.faults.wait_healthy()

    def open_sync(self) -> int:
        """Open the file, apply migrations; returns the schema version. Raises SchemaTooNew,
        or a StorageFault naming the path and the fix when the database cannot take writes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        check_writable(self.path)
        # Created 0600 before SQLite sees it: SQLite gives -wal and -shm the database's mode.
        make_private(self.path)
        for journal in (self.path.with_name(self.path.name + s) for s in ("-wal", "-shm")):
            if journal.exists():
                make_private(journal)
        conn: sqlite3.Connection | None = None
        try:
            conn = connect_writer(self.path, self.connection_factory)
            self.schema_version = migrate(conn)
        except BaseException as exc:
            if conn is not None:
                conn.close()
            fault = open_fault(self.path, exc)
            if fault is None:
                raise
            raise fault from exc
        # A log grown during a long run of batches is cut back once it is rewound.
        conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        self._conn = conn
        return self.schema_version

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The actor: runs the writer thread until ``close``; queued writes stay queued
        across a restart by the supervisor."""
        if self._conn is None:
            await trio.to_thread.run_sync(self.open_sync)
        token = trio.lowlevel.current_trio_token()
        stopped = trio.Event()
        self._stopped_reason = None
        thread = threading.Thread(
            target=self._writer_thread, args=(token, stopped), name="recado-storage", daemon=True
        )
        thread.start()
        self._running = True
        task_status.started()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(keep_fault_alerts, self)
                await stopped.wait()
                nursery.cancel_scope.cancel()
        finally:
            self._running = False
            if not stopped.is_set():
                # Cancelled from outside: the thread still finishes what is queued.
                self._queue.put(_STOP)
                with trio.CancelScope(shield=True):
                    await stopped.wait()
        if self._stopped_reason is not None:
            raise self._stopped_reason

    @asynccontextmanager
    async def checkpoints_apart(self) -> AsyncIterator[None]:
        """While inside, no commit runs a checkpoint: the checkpointer's thread copies the log
        back after commits (storage/checkpointer.py). For a long run of batches that dirty
        pages all over the file (retention), where SQLite's checkpoint inside a commit made
        every write queued behind it wait up to a second."""
        self._autocheckpoint = 0
        self.checkpointer.start()
        try:
            yield
        finally:
            self._autocheckpoint = AUTOCHECKPOINT_PAGES
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(self.checkpointer.stop)

    async def log_copied(self, timeout_s: float) -> bool:
        """Inside ``checkpoints_apart``: waits until the checkpointer has copied the whole log
        back (or ``timeout_s``); whether it did."""
        return await trio.to_thread.run_sync(
            self.checkpointer.wait_copied, timeout_s, abandon_on_cancel=True
        )

    def _writer_thread(self, token: trio.lowlevel.TrioToken, stopped: trio.Event) -> None:
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                stop_after = False
                while len(batch) < self.max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop_after = True
                        break
                    batch.append(item)
                result: object = _CRASHED
                try:
                    result = self._commit_batch(batch)
                finally:
                    for req in batch:
                        if req.result is None:
                            req.result = outcome.Error(
                                CommitFailed("the storage actor failed during this batch")
                            )
                    _call_in_trio(token, self._settle, batch, result)
                if stop_after:
                    return
        except BaseException as exc:
            self._stopped_reason = exc
        finally:
            _call_in_trio(token, stopped.set)

    def _settle(self, batch: list[_WriteRequest], result: object) -> None:
        """In trio, once a batch is over: keep the fault state, then wake the callers (so a
        caller that got a StorageFault finds it in ``fault``)."""
        if isinstance(result, StorageFault):
            if self.faults.failed(result, self.now()):
                log.error("storage_fault", kind=result.kind, detail=result.detail)
        elif result is None:
            over = self.faults.committed()
            if over is not None:
                since = iso(over.since)
                log.warning("storage_recovered", kind=over.kind, since=since, n=over.failures)
        _answer(batch)

    async def close(self) -> None:
        """Stop accepting writes; the writer commits what is queued, then stops."""
        self._closing = True
        self._queue.put(_STOP)

    def close_files(self) -> None:
        # Whatever is still queued never reached a batch: fail it rather than leave a caller
        # waiting forever.
        while True:
            try:
                req = self._queue.get_nowait()
            except queue.Empty:
                break
            if req is not _STOP:
                req.result = outcome.Error(StorageUnavailable("storage closed before commit"))
                _answer([req])
        for conn in self._read_pool:
            conn.close()
        self._read_pool.clear()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- writes ----------------------------------------------------------------------------

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in the next group commit; return once it is durable."""
        if self._closing:
            raise StorageUnavailable("storage is shutting down")
        req = _WriteRequest(fn, args)
        req.task = trio.lowlevel.current_task()

        def abort(_: Any) -> trio.lowlevel.Abort:
            # A cancelled caller stops waiting, but its write still commits.
            req.abandoned = True
            return trio.lowlevel.Abort.SUCCEEDED

        self._queue.put(req)
        # The value is the write's outcome, unwrapped: typed Any by trio.
        return await trio.lowlevel.wait_task_rescheduled(abort)  # type: ignore[no-any-return]

    def _commit_batch(self, batch: list[_WriteRequest]) -> StorageFault | None:
        """Run and commit one batch; the StorageFault that failed all of it, if one did."""
        conn = self._conn
        if conn is None:
            for req in batch:
                req.result = outcome.Error(StorageUnavailable("storage is not open"))
            return StorageUnavailable("storage is not open")
        started = time.perf_counter()
        try:
            if self._autocheckpoint != self._autocheckpoint_set:
                # Outside a transaction, on the writer's thread: the connection is this thread's.
                wanted = self._autocheckpoint
                conn.execute(f"PRAGMA wal_autocheckpoint={wanted}")
                self._autocheckpoint_set = wanted
            if self._autocheckpoint == 0 and copy_rest_on_writer(conn, self._wal):
                self.checkpointer.writer_copies += 1
            # Fast path: the whole batch in one transaction without savepoints, which cost
            # as much as the writes themselves. If any write raises, the transaction is rolled
            # back and the batch runs again with a savepoint per write, so the failing write
            # rolls back alone. Write functions touch only the connection, so running one
            # again against the same starting state gives the same result.
            if not self._run_batch(conn, batch, savepoints=False):
                conn.rollback()
                self._run_batch(conn, batch, savepoints=True)
            conn.execute("COMMIT")
            self.checkpointer.committed()
        except sqlite3.Error as exc:
            # A failed BEGIN or COMMIT, or a write that hit a storage error: nothing of the
            # batch is stored, and it is the storage's fault, not any write's.
            with suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.rollback()
            self.stats.commit_failures += 1
            kind = refine_kind(fault_kind(exc) or "io_error", self.path.parent)
            detail = f"commit failed: {exc}"
            log.debug("commit_failed", writes=len(batch), kind=kind, error=str(exc))
            for req in batch:
                req.result = outcome.Error(CommitFailed(detail, kind=kind))
            return CommitFailed(detail, kind=kind)
        ms = (time.perf_counter() - started) * 1000
        self.stats.batches += 1
        self.stats.writes += len(batch)
        self.stats.failed_writes += sum(isinstance(r.result, outcome.Error) for r in batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        self.stats.last_commit_ms = ms
        return None

    @staticmethod
    def _run_batch(
        conn: sqlite3.Connection, batch: list[_WriteRequest], *, savepoints: bool
    ) -> bool:
        """Run every write in a new transaction; False (fast path only) at the first error."""
        conn.execute("BEGIN IMMEDIATE")
        for req in batch:
            if savepoints:
                conn.execute("SAVEPOINT w")
            try:
                value = req.fn(conn, *req.args)
            except Exception as exc:
                if fault_kind(exc) is not None:
                    # SQLite may already have rolled the whole transaction back: going on
                    # would run the other writes outside it. The batch fails as a fault.
                    raise
                if not savepoints:
                    return False
                conn.execute("ROLLBACK TO w")
                conn.execute("RELEASE w")
                req.result = outcome.Error(exc)
            else:
                if savepoints:
                    conn.execute("RELEASE w")
                req.result = outcome.Value(value)
        return True

    # -- reads -----------------------------------------------------------------------------

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        conn: sqlite3.Connection | None = None
        try:
            conn = (
                self._read_pool.pop()
                if self._read_pool
                else connect_reader(self.path, self.connection_factory)
            )
            yield conn
        except sqlite3.Error as exc:
            fault = as_fault(exc, "read failed")
            # Plain SQLITE_READONLY on a query_only reader is a caller trying to write.
            if fault is None or getattr(exc, "sqlite_errorcode", 0) == sqlite3.SQLITE_READONLY:
                raise
            # A connection that met a storage error is not trusted again.
            if conn is not None:
                with suppress(sqlite3.Error):
                    conn.close()
                conn = None
            raise fault from exc
        finally:
            if conn is not None:
                if conn.in_transaction:
                    conn.rollback()
                self._read_pool.append(conn)

    def _read_sync(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._reader() as conn:
            return fn(conn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on a read-only connection in a worker thread."""
        return await trio.to_thread.run_sync(self._read_sync, fn, args, limiter=self._read_limiter)

    # -- maintenance -----------------------------------------------------------------------

    async def backup(self, dest: Path) -> BackupDone:
        """Online backup of the database to ``dest`` (``storage/backup.py``)."""
        return await trio.to_thread.run_sync(self._backup_sync, dest, limiter=self._read_limiter)

    def _backup_sync(self, dest: Path) -> BackupDone:
        with self._reader() as source:
            return backup_to(source, dest)
