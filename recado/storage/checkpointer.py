"""Copies the write-ahead log back into the database file on a thread of its own, so no
write waits for it.

SQLite's default runs a checkpoint inside the COMMIT of whichever write takes the log past
1,000 pages: that write, and every write queued behind it in the storage actor, waits while
a few MiB are copied to scattered places of the file and the file is fsynced. On a year of
data during a retention run (every batch dirties pages all over a 7 GiB file) those commits
took up to 1.1 s. Inside ``Storage.checkpoints_apart`` (a retention run) the writer
connection has automatic checkpoints off, and this thread runs a PASSIVE checkpoint after
commits, at most every ``INTERVAL_S``: a PASSIVE checkpoint takes no lock a writer needs, so
the commits go on while it copies. Outside it SQLite's own checkpoint stays: ordinary writes
touch few pages, and a disk-full write then fails as it always did (a rewound log would
take it into space the log already holds). The log is rewound by
the next write after a checkpoint that copied all of it, and then cut back to
``WAL_LIMIT_BYTES`` (``journal_size_limit`` on the writer). A run of batches keeps the log
rewound: each batch waits for the copy of the one before (``wait_copied``), and past
``WAL_LIMIT_BYTES`` the writer copies the rest itself (``copy_rest_on_writer``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from recado.logs import get_logger

log = get_logger("storage")

# At most this often, unless a run of batches waits for the copy (``wait_copied``): each
# checkpoint ends with an fsync of the database file.
INTERVAL_S = 0.25
# The write-ahead log is cut back to this size when it is rewound.
WAL_LIMIT_BYTES = 64 * 1024 * 1024


def log_too_long(wal: Path, limit: int = WAL_LIMIT_BYTES) -> bool:
    """The log file has grown past the size it is cut back to (it was not rewound)."""
    try:
        return wal.stat().st_size > limit
    except FileNotFoundError:
        return False


def copy_rest_on_writer(conn: sqlite3.Connection, wal: Path, limit: int = WAL_LIMIT_BYTES) -> bool:
    """Called on the writer's thread between transactions while checkpoints run apart: once
    the log file has grown past ``WAL_LIMIT_BYTES``, the writer copies what is left of it
    itself. The checkpointer's passes copy the log while other writes go on appending to it,
    so under steady writes on a busy disk no pass ever ends with the whole log copied, and
    the log is never rewound: it grew to 0.8-1.4 GB during a retention run, and the commit
    that finally rewound it and cut it back held every write for up to 0.9 s. With the
    checkpointer close behind, what is left is the last few writes; with the writer doing
    the copy nothing is appended meanwhile, so it ends whole and the next write rewinds the
    log while it is still small. Whether it did."""
    try:
        if not log_too_long(wal, limit):
            return False
        busy, log_frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except (OSError, sqlite3.Error):
        # The checkpointer's pass under way, or a disk fault the commit itself reports.
        return False
    return bool(busy == 0 and log_frames == copied)


class Checkpointer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.checkpoints = 0
        self.failures = 0
        self.longest_ms = 0.0
        # wait_copied's calls, those that ended without the whole log copied, and the time
        # they waited in all.
        self.waits = 0
        self.partial = 0
        # Copies the writer made itself to have the log rewound (copy_rest_on_writer).
        self.writer_copies = 0
        self.waited_s = 0.0
        # Passes begun and ended, and whether the last one ended with the whole log copied:
        # what ``wait_copied`` waits on.
        self._begun = 0
        self._ended = 0
        self._whole = False
        self._waiting = 0  # callers of wait_copied: while any waits, passes follow at once
        self._passes = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._wal = path.with_name(path.name + "-wal")

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="recado-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Called by the writer after each commit: there is log to copy back."""
        self._wake.set()

    def wait_copied(self, timeout_s: float) -> bool:
        """Waits (a thread's call) for the log written before this call to be copied back:
        for a pass that began after the call and copied the whole log, or else for a second
        such pass (frames that other writes appended during the first, or that a reader's
        snapshot held back, are not worth waiting on longer), or for ``timeout_s``. Whether
        the whole log was copied.

        A run of batches that waits for it after each batch never gets ahead of the copy:
        the log is rewound and written over in place instead of growing, and no batch's
        commit shares the disk with the copy of the one before."""
        started = time.monotonic()
        deadline = started + timeout_s
        whole = False
        with self._passes:
            after = self._begun
            self._waiting += 1
            self._passes.notify_all()  # cuts short the pause between passes
            try:
                while True:
                    self._wake.set()
                    passes = self._ended - after
                    if passes >= 1 and self._whole:
                        whole = True
                        break
                    left = deadline - time.monotonic()
                    if passes >= 2 or left <= 0 or self._stopping.is_set() or not self._thread:
                        break
                    self._passes.wait(left)
            finally:
                self._waiting -= 1
                self.waits += 1
                self.partial += not whole
                self.waited_s += time.monotonic() - started
        return whole

    def stop(self) -> None:
        """Waits for a checkpoint under way (a thread's call: it may take a while)."""
        self._stopping.set()
        self._wake.set()
        with self._passes:
            self._passes.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                if self._stopping.is_set():
                    return
                self._wake.clear()
                with self._passes:
                    self._begun += 1
                whole = False
                started = time.perf_counter()
                try:
                    # Past the limit the writer copies the rest itself before its next
                    # commit, so that the log is rewound (copy_rest_on_writer): a pass of
                    # ours then would only make its copy find the log busy.
                    if not log_too_long(self._wal):
                        if conn is None:
                            conn = sqlite3.connect(self.path, isolation_level=None)
                            # FULL: the file is fsynced before the log is rewound over it.
                            conn.execute("PRAGMA synchronous=FULL")
                        busy, log_frames, copied = conn.execute(
                            "PRAGMA wal_checkpoint(PASSIVE)"
                        ).fetchone()
                        whole = busy == 0 and log_frames == copied
                        self.checkpoints += 1
                        took_ms = (time.perf_counter() - started) * 1000
                        self.longest_ms = max(self.longest_ms, took_ms)
                except (OSError, sqlite3.Error) as exc:
                    # A full or failing disk is the writer's to report (its commits fail
                    # too); the log stays whole and a later pass copies it.
                    self.failures += 1
                    log.debug("checkpoint_failed", error=str(exc))
                    if conn is not None:
                        conn.close()
                        conn = None
                with self._passes:
                    self._ended += 1
                    self._whole = whole
                    self._passes.notify_all()
                    # A pause between passes, unless someone waits for the copy.
                    self._passes.wait_for(
                        lambda: self._waiting > 0 or self._stopping.is_set(), INTERVAL_S
                    )
        finally:
            if conn is not None:
                conn.close()
