"""Storage faults: what they are, how an sqlite3 error maps to one, and the fault state the
storage actor keeps (what the dashboard, /readyz and /metrics show, and what actors wait on).

A storage fault is never a record's fault: a caller keeps its record as it is and tries
again once storage works again (``Storage.wait_healthy``).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import trio

from recado.rules.storage_faults import plain_words

FAULT_KINDS = ("disk_full", "read_only", "locked", "io_error", "unavailable")


class StorageFault(Exception):
    """The database could not take a write for a reason of its own (disk full, read-only
    file, locked by another process, I/O error, not running): never the record's fault.

    Callers keep the record as it is and try again once storage works again; an actor
    never sets a record aside (failed, dead) because of a StorageFault.
    """

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind  # disk_full | read_only | locked | io_error | unavailable
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


class StorageUnavailable(StorageFault):
    """The storage actor is not running, so a write could not be committed."""

    def __init__(self, detail: str) -> None:
        super().__init__("unavailable", detail)


class CommitFailed(StorageFault):
    """The transaction holding this write could not be committed; nothing of it is stored."""

    def __init__(self, detail: str, kind: str = "io_error") -> None:
        super().__init__(kind, detail)


# SQLite's primary result codes that mean "the storage", not "this write's data".
_FAULT_CODES = {
    13: "disk_full",  # SQLITE_FULL
    8: "read_only",  # SQLITE_READONLY
    5: "locked",  # SQLITE_BUSY (another process holds the lock past busy_timeout)
    6: "locked",  # SQLITE_LOCKED
    10: "io_error",  # SQLITE_IOERR
    14: "io_error",  # SQLITE_CANTOPEN
    3: "read_only",  # SQLITE_PERM
}

# What a failed write into the data directory says about the file system under it.
_ERRNO_KINDS = {
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "disk_full",
}

PROBE_NAME = ".recado-write-probe"


def fault_kind(exc: BaseException) -> str | None:
    """The StorageFault kind of an sqlite3 error, or None when it is about the data."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    return _FAULT_CODES.get(code & 0xFF)


def as_fault(exc: BaseException, what: str) -> StorageFault | None:
    """The StorageFault an sqlite3 error stands for, or None when it is about the data."""
    kind = fault_kind(exc)
    return None if kind is None else StorageFault(kind, f"{what}: {exc}")


def open_fault(path: Path, exc: BaseException) -> StorageFault | None:
    """At start: the fault that keeps the database from opening, said with the fix."""
    kind = fault_kind(exc)
    if kind is None:
        return None
    kind = refine_kind(kind, path.parent)
    return StorageFault(
        kind,
        f"cannot open the database {path}: {plain_words(kind)} ({exc}); make sure no other "
        "process holds it, that its file system is writable and has free space, then start "
        "again",
    )


def probe_directory(directory: Path) -> OSError | None:
    """Create and remove a small file in ``directory``; the error if that fails."""
    probe = directory / f"{PROBE_NAME}-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ok")
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as exc:
        return exc
    return None


def refine_kind(kind: str, directory: Path) -> str:
    """SQLite reports a write refused by a read-only (or full) file system on an already open
    file as a plain I/O error; the file system itself says which it is."""
    if kind != "io_error":
        return kind
    problem = probe_directory(directory)
    if problem is None or problem.errno is None:
        return kind
    return _ERRNO_KINDS.get(problem.errno, kind)


class StorageNotWritable(StorageFault):
    """At start: the database, its directory or its journal files cannot be written."""

    def __init__(self, path: Path, problem: OSError) -> None:
        kind = _ERRNO_KINDS.get(problem.errno or 0, "io_error")
        reason = problem.strerror or str(problem)
        super().__init__(
            kind,
            f"the database {path} cannot be written ({reason}: {problem.filename or path}); "
            f"make the data directory {path.parent} and the files in it writable by this "
            "user (remount the file system read-write, or fix their owner, mode or "
            "attributes), then start again",
        )


def check_writable(path: Path) -> None:
    """Refuse to start on a database that cannot take writes, instead of failing each one.

    SQLite opens an unwritable file read-only without a word, so the file, its WAL files and
    the directory (where SQLite creates those) are each tried for writing here. A full disk
    is no reason to refuse: the daemon starts if SQLite can open the file, answers 503 and
    heals on its own once there is space.
    """
    try:
        # 0700: the data directory holds the database, keys and backups, nothing to share.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageNotWritable(path, exc) from exc
    problem = probe_directory(path.parent)
    if problem is None:
        for name in (path.name, path.name + "-wal", path.name + "-shm"):
            candidate = path.parent / name
            if not candidate.exists():
                continue
            try:
                os.close(os.open(candidate, os.O_RDWR))
            except OSError as exc:
                problem = exc
                break
    if problem is not None and problem.errno not in (errno.ENOSPC, errno.EDQUOT):
        raise StorageNotWritable(path, problem)


@dataclass(frozen=True)
class FaultInfo:
    kind: str
    detail: str
    since: datetime
    failures: int


@dataclass(frozen=True)
class FaultAlert:
    """An alert raised when a fault started; kept in memory because it cannot be written
    while storage fails, and persisted (with its start time) once storage works again."""

    kind: str
    since: datetime
    detail: str

    @property
    def code(self) -> str:
        return f"storage_{self.kind}"


class FaultState:
    """The current fault (cleared by the next successful commit) and the alerts raised."""

    def __init__(self) -> None:
        self.current: FaultInfo | None = None
        self.alerts: list[FaultAlert] = []
        self._healthy = trio.Event()
        self._healthy.set()
        self._alerted = trio.Event()

    def failed(self, fault: StorageFault, at: datetime) -> bool:
        """Record a failed commit; True when this starts a fault or changes its kind."""
        cur = self.current
        if cur is None:
            self.current = FaultInfo(fault.kind, fault.detail, at, 1)
            self._healthy = trio.Event()
        else:
            self.current = replace(
                cur, kind=fault.kind, detail=fault.detail, failures=cur.failures + 1
            )
        if any(a.kind == fault.kind for a in self.alerts):
            return cur is None
        self.alerts.append(FaultAlert(fault.kind, at, fault.detail))
        self._alerted.set()
        return True

    def committed(self) -> FaultInfo | None:
        """A commit went through: the fault (returned, if there was one) is over."""
        cur = self.current
        if cur is not None:
            self.current = None
            self._healthy.set()
        return cur

    def persisted(self, alerts: list[FaultAlert]) -> None:
        self.alerts = [a for a in self.alerts if a not in alerts]

    async def wait_healthy(self) -> None:
        await self._healthy.wait()

    async def wait_alerts(self) -> None:
        """Return once there are alerts waiting to be persisted."""
        while not self.alerts:
            await self._alerted.wait()
            self._alerted = trio.Event()
