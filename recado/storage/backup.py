"""An online backup of the database: SQLite's backup API into ``<dest>.partial`` (0600),
checked with ``integrity_check``, then renamed into place. It never overwrites a file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import msgspec

from recado.private_files import open_private


class BackupDone(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    bytes: int
    integrity_check: str  # "ok": a backup that fails the check is not kept
    schema_version: int


def backup_to(source: sqlite3.Connection, dest: Path) -> BackupDone:
    """Copy ``source`` (a reader of the live database) to ``dest``. FileExistsError when
    ``dest`` exists, OSError/sqlite3.Error when it cannot be written there, RuntimeError when
    the copy fails its integrity check."""
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; a backup never overwrites a file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    # 0600 before SQLite opens it (a leftover of a failed backup is emptied, not reused).
    os.close(open_private(partial, os.O_WRONLY | os.O_TRUNC))
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        check = target.execute("PRAGMA integrity_check").fetchall()
        version = target.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    finally:
        target.close()
    if [tuple(r) for r in check] != [("ok",)]:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"backup failed integrity_check: {check[:5]}")
    partial.rename(dest)
    return BackupDone(
        path=str(dest), bytes=dest.stat().st_size, integrity_check="ok", schema_version=version
    )
