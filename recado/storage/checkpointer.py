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
``WAL_LIMIT_BYTES`` (``journal_size_limit`` on the writer).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from recado.logs import get_logger

log = get_logger("storage")

# At most this often: each checkpoint ends with an fsync of the database file.
INTERVAL_S = 0.25
# The write-ahead log is cut back to this size when it is rewound.
WAL_LIMIT_BYTES = 64 * 1024 * 1024


class Checkpointer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.checkpoints = 0
        self.failures = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="recado-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Called by the writer after each commit: there is log to copy back."""
        self._wake.set()

    def stop(self) -> None:
        """Waits for a checkpoint under way (a thread's call: it may take a while)."""
        self._stopping.set()
        self._wake.set()
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
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, isolation_level=None)
                        # FULL: the file is fsynced before the log is rewound over it.
                        conn.execute("PRAGMA synchronous=FULL")
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:
                    # A full or failing disk is the writer's to report (its commits fail
                    # too); the log stays whole and a later pass copies it.
                    self.failures += 1
                    log.debug("checkpoint_failed", error=str(exc))
                    if conn is not None:
                        conn.close()
                        conn = None
                self._stopping.wait(INTERVAL_S)
        finally:
            if conn is not None:
                conn.close()
