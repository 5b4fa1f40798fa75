"""Putting a backup back (``recado restore``, the daemon stopped): the file is checked
before anything is touched, the database in place is kept aside, and the backup is swapped
in with no journal of the old database left beside it.

Refused, naming the problem: a path that is not a readable file, a file that is not an
SQLite database, an SQLite database that is not recado's (no ``schema_version``), one written
by a newer recado (a schema this one does not know: it would be refused at start, or worse,
half understood), and one that fails ``integrity_check``. An older schema is fine: the next
start applies the migrations after it.

The backup is first copied into the data directory with SQLite's backup API
(``storage/backup.py``: 0600, checked again, renamed into place only when whole), so the swap
is a rename on one file system. The database in place has its WAL folded in first, then it
and any ``-wal``/``-shm`` go aside as ``recado.db.before-restore-<stamp>``: a WAL of the old
database left beside the restored one would be replayed into it and corrupt it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import msgspec

from recado.storage.backup import BackupFailed, backup_to
from recado.storage.migrate import available, current_version

DB_NAME = "recado.db"
JOURNALS = ("-wal", "-shm", "-journal")
_MAGIC = b"SQLite format 3\x00"


class RestoreRefused(Exception):
    """The backup cannot be restored; the message names the file and the problem."""


class Restored(msgspec.Struct, frozen=True, kw_only=True):
    source: str
    database: str
    schema_version: int
    known_version: int  # this recado's; the start applies the migrations in between
    bytes: int
    kept_aside: str | None  # the database that was in place, or None when there was none


def inspect_backup(path: Path) -> int:
    """The schema version of the recado backup at ``path``; RestoreRefused otherwise."""
    known = available()[-1].version
    try:
        with path.open("rb") as f:
            header = f.read(len(_MAGIC))
    except IsADirectoryError:
        raise RestoreRefused(f"{path} is a directory, not a backup file") from None
    except OSError as exc:
        raise RestoreRefused(f"{path} cannot be read: {exc.strerror}") from exc
    if header != _MAGIC:
        raise RestoreRefused(
            f"{path} is not a recado backup: it is not an SQLite database "
            "(its first bytes are not 'SQLite format 3')"
        )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise RestoreRefused(f"{path} cannot be opened as a database: {exc}") from exc
    try:
        version = current_version(conn)
        if version == 0:
            raise RestoreRefused(
                f"{path} is an SQLite database but not a recado backup (it has no "
                "schema_version table)"
            )
        if version > known:
            raise RestoreRefused(
                f"{path} was written by a newer recado: its schema is version {version}, this "
                f"recado knows versions up to {known}; upgrade recado first, then restore"
            )
        check = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchmany(5)]
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"{path} is damaged: reading it failed ({exc})") from exc
    finally:
        conn.close()
    if check != ["ok"]:
        raise RestoreRefused(f"{path} is damaged: integrity_check says {'; '.join(check)}")
    return version


def restore(source: Path, data_dir: Path, now: datetime) -> Restored:
    """Check ``source`` and swap it in as ``data_dir``'s database. The caller holds the data
    directory's lock (no daemon runs on it)."""
    version = inspect_backup(source)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = data_dir / f"{DB_NAME}.restoring-{stamp}"
    for leftover in (staged, *(staged.with_name(staged.name + s) for s in JOURNALS)):
        leftover.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        done = backup_to(src, staged)
    except (BackupFailed, RuntimeError, sqlite3.Error) as exc:
        raise RestoreRefused(f"cannot copy {source} into {data_dir}: {exc}") from exc
    finally:
        src.close()
    db = data_dir / DB_NAME
    try:
        aside = _put_aside(db, data_dir / f"{DB_NAME}.before-restore-{stamp}")
        staged.rename(db)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    _sync_dir(data_dir)
    return Restored(
        source=str(source),
        database=str(db),
        schema_version=version,
        known_version=available()[-1].version,
        bytes=done.bytes,
        kept_aside=str(aside) if aside else None,
    )


def _put_aside(db: Path, aside: Path) -> Path | None:
    if not db.exists():
        for suffix in JOURNALS:
            # Journals of a database that is gone: replayed into the restored one, they
            # would corrupt it.
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        return None
    if aside.exists():
        raise RestoreRefused(f"{aside} already exists; restore again in a second")
    with suppress(sqlite3.Error):
        # The last connection to close folds the WAL in and removes it: the copy kept aside
        # is then one whole file. A database too damaged for it goes aside as it is.
        conn = sqlite3.connect(db)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()
    for suffix in ("", *JOURNALS):
        with suppress(FileNotFoundError):
            db.with_name(db.name + suffix).rename(aside.with_name(aside.name + suffix))
    return aside


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
