"""``<data_dir>/recado.lock``: one daemon per data directory.

Two daemons on one data directory would run two senders on one queue. The first takes an
exclusive ``flock`` on this file and holds it until it exits (the kernel drops it even on
``kill -9``); a second finds it taken and refuses to start, naming the pid written inside.
The file is never removed: unlinking a lock file lets a third process lock a new file of the
same name while the second still holds the old one.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from recado.private_files import open_private

NAME = "recado.lock"


class DataDirBusy(Exception):
    """Another process holds the data directory's lock, or the lock file cannot be made."""


class DataDirLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def acquire(data_dir: Path) -> DataDirLock:
    """Lock ``data_dir`` for this process, or raise DataDirBusy saying who holds it."""
    path = data_dir / NAME
    try:
        # 0600 whatever the umask: the file says which pid runs the daemon.
        fd = open_private(path, os.O_RDWR)
    except OSError as exc:
        raise DataDirBusy(f"cannot create the lock file {path}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_pid(fd)
        os.close(fd)
        who = f"pid {holder}" if holder else "another process"
        raise DataDirBusy(
            f"another recado ({who}) is already running on the data directory {data_dir} "
            f"(it holds {path}); stop it first, or give this one another daemon.data_dir"
        ) from None
    except OSError as exc:
        os.close(fd)
        raise DataDirBusy(f"cannot lock {path}: {exc.strerror}") from exc
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return DataDirLock(path, fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
