"""The two kinds of SQLite connection: the storage actor's one writer and its pool of
readers, each with the pragmas it depends on.

``factory`` is the connection class (``sqlite3.Connection`` unless a test or bench entry
point asks for one that also records the statements it runs, ``DaemonHooks``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

Factory = type[sqlite3.Connection]


def connect_writer(path: Path, factory: Factory = sqlite3.Connection) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/SAVEPOINT/COMMIT ourselves, sqlite3 must not.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=factory)
    # Only a new file takes it (before WAL writes the first page): retention's deletes then
    # give pages back to the disk in steps (storage/retention.vacuum_some). An older file
    # keeps its free pages for new rows until an offline VACUUM.
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: the commit that acknowledges a webhook or an event survives power loss.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.row_factory = sqlite3.Row
    return conn


def connect_reader(path: Path, factory: Factory = sqlite3.Connection) -> sqlite3.Connection:
    conn = sqlite3.connect(
        f"file:{path}?mode=ro",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        factory=factory,
    )
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA query_only=ON")
    conn.row_factory = sqlite3.Row
    return conn
