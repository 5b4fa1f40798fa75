"""Real storage faults for tests: a small tmpfs to fill, an ext4 image that goes read-only
the way a failing disk does, and a second process holding the database lock.

Tests run as root, where file modes do not stop a write; only the file system can. Where it
cannot be mounted here (no CAP_SYS_ADMIN, no loop devices), the test is skipped and says why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


def _unmount(target: Path) -> None:
    if _run("umount", str(target)).returncode != 0:
        _run("umount", "-l", str(target))


@contextmanager
def small_tmpfs(target: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``target`` for the duration."""
    target.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(target))
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs on {target} (needs root with CAP_SYS_ADMIN): "
            f"{done.stderr.strip()}"
        )
    try:
        yield target
    finally:
        _unmount(target)


def remount(target: Path, mode: str) -> None:
    done = _run("mount", "-o", f"remount,{mode}", str(target))
    assert done.returncode == 0, done.stderr


def fill_disk(directory: Path) -> Path:
    """Write a file until the file system is full; returns it (unlink it to make room)."""
    filler = directory / "filler.bin"
    with filler.open("wb", buffering=0) as f:
        # Big chunks first, then small ones for what a partial chunk left.
        for size in (65536, 4096, 512):
            with suppress(OSError):
                while True:
                    f.write(b"\0" * size)
    return filler


@contextmanager
def ext4_image(image: Path, target: Path, size_mb: int = 24) -> Iterator[str]:
    """An ext4 file system in a loop file, mounted with ``errors=remount-ro`` on ``target``;
    yields the loop device's name (``loop3``)."""
    target.mkdir(parents=True, exist_ok=True)
    with image.open("wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    made = _run("mkfs.ext4", "-q", "-F", str(image))
    if made.returncode != 0:
        pytest.skip(f"mkfs.ext4 is not usable here: {made.stderr.strip()}")
    loop = _run("losetup", "-f", "--show", str(image))
    if loop.returncode != 0:
        pytest.skip(f"no loop device to mount an ext4 image: {loop.stderr.strip()}")
    device = loop.stdout.strip()
    try:
        mounted = _run("mount", "-o", "errors=remount-ro", device, str(target))
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount {device} on {target}: {mounted.stderr.strip()}")
        try:
            yield Path(device).name
        finally:
            _unmount(target)
    finally:
        _run("losetup", "-d", device)


def fail_ext4(device_name: str) -> None:
    """Make the kernel find an error on the file system: with ``errors=remount-ro`` it goes
    read-only under the open files, as a disk with bad sectors does."""
    trigger = Path("/sys/fs/ext4") / device_name / "trigger_fs_error"
    if not trigger.exists():
        pytest.skip(f"{trigger} is missing: this kernel cannot simulate an ext4 error")
    trigger.write_text("recado test: storage fault\n")


_LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
"""


class LockHolder:
    """Another process holding ``BEGIN EXCLUSIVE`` on the database until ``release``."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LOCKER, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "locked", line

    @property
    def pid(self) -> int:
        return self.proc.pid

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(10)

    def __enter__(self) -> LockHolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 9)
