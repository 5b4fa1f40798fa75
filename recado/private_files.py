"""Files only the daemon's user may read: the database and its journals, backups, the runtime
file, generated keys, the lock.

They hold message texts, phone numbers and keys, so they are created 0600 whatever the umask
(0o000 would make them world-writable; 0o177 would leave even the owner unable to write).
A file that already exists keeps its owner bits (a database made read-only on purpose stays
so) but loses any group or other bits left by an older version or a careless copy.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

__all__ = ["PRIVATE_MODE", "make_private", "open_private", "write_private"]

PRIVATE_MODE = 0o600


def open_private(path: Path, flags: int = os.O_RDWR) -> int:
    """``os.open(path, flags)``, creating the file 0600 when it is missing; returns the fd."""
    flags |= os.O_CLOEXEC
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        fd = os.open(path, flags & ~os.O_CREAT & ~os.O_EXCL)
        _tighten(fd)
        return fd
    try:
        # The umask may have taken bits away from PRIVATE_MODE (never added any).
        os.fchmod(fd, PRIVATE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def make_private(path: Path) -> None:
    """Create ``path`` empty and 0600 if missing; tighten it if it exists."""
    os.close(open_private(path, os.O_RDONLY))


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a reader sees the old file or the new one),
    durably, and 0600."""
    tmp = path.with_name(path.name + ".new")
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _tighten(fd: int) -> None:
    mode = os.fstat(fd).st_mode & 0o777
    if mode & 0o077:
        # Not ours to change (another user's file, a read-only mount): whoever opens it for
        # writing gets the error that explains it.
        with suppress(OSError):
            os.fchmod(fd, mode & 0o700)
