"""The scheduled backups' directory: which backups it holds, their sizes, the rotation, and
the facts kept across restarts (since when backups are scheduled, the last failure)."""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from recado.clock import iso
from recado.rules.backup_schedule import taken_at, to_remove
from recado.storage.settings import delete_setting, get_setting, set_setting

# When backups were first scheduled: with none taken yet, the age of "no backup" runs from it.
SCHEDULED_SINCE = "backup_scheduled_since"
LAST_FAILURE = "backup_last_failure"


class BackupFile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    bytes: int
    taken_at: datetime


def backup_dir(data_dir: Path, configured: str) -> Path:
    """``backup.dir``; a relative one is inside the data directory."""
    path = Path(configured).expanduser()
    return path if path.is_absolute() else data_dir / path


def names(directory: Path) -> list[str]:
    try:
        return [p.name for p in directory.iterdir()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def backups(directory: Path) -> list[BackupFile]:
    """Our backups in ``directory``, newest first (a file gone meanwhile is left out)."""
    found = []
    for name in names(directory):
        at = taken_at(name)
        if at is None:
            continue
        with suppress(OSError):
            found.append(
                BackupFile(name=name, bytes=(directory / name).stat().st_size, taken_at=at)
            )
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def rotate(directory: Path, keep: int) -> list[str]:
    """Remove our backups beyond the newest ``keep`` (and leftovers of a backup killed
    halfway); what could not be removed stays and is tried at the next rotation."""
    removed = []
    for name in to_remove(names(directory), keep):
        with suppress(FileNotFoundError):
            (directory / name).unlink()
            removed.append(name)
    return removed


def scheduled_since(conn: sqlite3.Connection, now: datetime) -> str:
    """Since when backups are scheduled, set the first time it is asked."""
    since = get_setting(conn, SCHEDULED_SINCE)
    if not isinstance(since, str):
        since = now.isoformat()
        set_setting(conn, SCHEDULED_SINCE, since, now)
    return since


def record_failure(conn: sqlite3.Connection, now: datetime, path: str, reason: str) -> None:
    set_setting(conn, LAST_FAILURE, {"at": iso(now), "path": path, "reason": reason}, now)


def clear_failure(conn: sqlite3.Connection) -> None:
    delete_setting(conn, LAST_FAILURE)


def clear_failure_elsewhere(conn: sqlite3.Connection, directory: str | None) -> bool:
    """The last failure is forgotten when it was a backup into another directory than
    ``directory`` (None: backups are off): the page would go on showing it, and nothing
    would clear it. Whether it was."""
    failure = last_failure(conn)
    if failure is None:
        return False
    path = str(failure.get("path", ""))
    if directory is not None and Path(path).parent == Path(directory):
        return False
    clear_failure(conn)
    return True


def last_failure(conn: sqlite3.Connection) -> dict[str, Any] | None:
    value = get_setting(conn, LAST_FAILURE)
    return value if isinstance(value, dict) else None
