"""An online backup of the database: SQLite's backup API into ``<dest>.partial`` (0600),
checked with ``integrity_check``, then renamed into place. It never overwrites a file, and a
backup that fails for any reason leaves nothing behind at the destination (a partial copy of
a database on a full file system would keep it full)."""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import suppress
from pathlib import Path

import msgspec

from recado.private_files import open_private
from recado.storage.faults import fault_kind


class BackupDone(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    bytes: int
    integrity_check: str  # "ok": a backup that fails the check is not kept
    schema_version: int


class BackupFailed(Exception):
    """The destination could not take the backup (the live database is fine). ``no_space``:
    its file system is full."""

    def __init__(self, dest: Path, reason: str, *, no_space: bool) -> None:
        super().__init__(f"cannot write a backup at {dest}: {reason}")
        self.no_space = no_space


def backup_to(source: sqlite3.Connection, dest: Path) -> BackupDone:
    """Copy ``source`` (a reader of the live database) to ``dest``. FileExistsError when
    ``dest`` exists, BackupFailed when it cannot be written there, RuntimeError when the copy
    fails its integrity check; an sqlite3 error only when the live database failed the read."""
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; a backup never overwrites a file")
    partial = dest.with_name(dest.name + ".partial")
    leftovers = [partial, *(partial.with_name(partial.name + s) for s in ("-journal", "-wal"))]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        # 0600 before SQLite opens it (a leftover of a failed backup is emptied, not reused).
        os.close(open_private(partial, os.O_WRONLY | os.O_TRUNC))
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            # One self-contained file: the copy takes the live database's WAL mode, and a
            # WAL-mode file grows -wal and -shm files beside it whenever it is opened.
            target.execute("PRAGMA journal_mode=DELETE").fetchall()
            check = target.execute("PRAGMA integrity_check").fetchall()
            version = target.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        finally:
            target.close()
        if [tuple(r) for r in check] != [("ok",)]:
            raise RuntimeError(f"backup failed integrity_check: {check[:5]}")
        partial.rename(dest)
    except BaseException as exc:
        for path in leftovers:
            with suppress(OSError):
                path.unlink(missing_ok=True)
        if isinstance(exc, (OSError, sqlite3.Error)) and _source_is_fine(source):
            raise BackupFailed(dest, _reason(exc), no_space=_no_space(exc)) from exc
        raise
    return BackupDone(
        path=str(dest), bytes=dest.stat().st_size, integrity_check="ok", schema_version=version
    )


def _source_is_fine(source: sqlite3.Connection) -> bool:
    """Whether the live database still reads: then a failed copy is the destination's."""
    try:
        source.execute("SELECT COUNT(*) FROM schema_version").fetchone()
    except sqlite3.Error:
        return False
    return True


def _no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return fault_kind(exc) == "disk_full"


def _reason(exc: BaseException) -> str:
    if _no_space(exc):
        return "its file system has no space left"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
