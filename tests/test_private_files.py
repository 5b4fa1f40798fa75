"""The data directory's files are the daemon user's alone (0600), whatever the umask: the
database and its WAL and shared-memory files, backups, the runtime file, generated keys."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from recado.daemon.local_keys import LocalKeyError, local_api_key, local_secret_key
from recado.daemon.runtime_file import write_runtime
from recado.private_files import make_private, open_private, write_private
from recado.storage.actor import Storage
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import cli

UMASKS = [0o000, 0o022, 0o077, 0o177]


@pytest.fixture(params=UMASKS, ids=lambda u: f"umask{u:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_storage_files_and_backups_are_private(tmp_path: Path, umask: int) -> None:
    storage = Storage(tmp_path / "recado.db")
    storage.open_sync()
    try:
        # A backup that died earlier left its .partial behind, readable by all.
        stale = tmp_path / "b.db.partial"
        stale.write_bytes(b"junk")
        stale.chmod(0o666)
        await storage.backup(tmp_path / "b.db")
        names = ["recado.db", "recado.db-wal", "recado.db-shm", "b.db"]
        assert {n: oct(mode(tmp_path / n)) for n in names} == {n: "0o600" for n in names}
        assert not stale.exists()
    finally:
        storage.close_files()


def test_key_and_runtime_files_are_private(tmp_path: Path, umask: int) -> None:
    local_api_key(tmp_path)
    local_secret_key(tmp_path)
    write_runtime(tmp_path, {"pid": os.getpid()})
    names = ["api_key", "secret_key", "recado.runtime.json"]
    assert {n: oct(mode(tmp_path / n)) for n in names} == {n: "0o600" for n in names}


def test_existing_files_lose_group_and_other_bits_but_never_gain_any(tmp_path: Path) -> None:
    loose, readonly = tmp_path / "recado.db-wal", tmp_path / "recado.db"
    loose.write_bytes(b"")
    loose.chmod(0o664)
    readonly.write_bytes(b"")
    readonly.chmod(0o444)
    make_private(loose)
    make_private(readonly)
    assert (mode(loose), mode(readonly)) == (0o600, 0o400)
    os.close(open_private(tmp_path / "lock", os.O_RDWR))
    write_private(tmp_path / "data", b"x" * 100_000)
    assert (mode(tmp_path / "lock"), mode(tmp_path / "data")) == (0o600, 0o600)
    assert (tmp_path / "data").read_bytes() == b"x" * 100_000


@pytest.mark.parametrize("content", [b"\xe9\xe9\xe9", b"not base64!", b"c2hvcnQ="])
def test_a_broken_generated_key_is_named(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "secret_key").write_bytes(content)
    with pytest.raises(LocalKeyError, match=f"^{tmp_path / 'secret_key'}: not "):
        local_secret_key(tmp_path)


@pytest.mark.parametrize("umask_value", [0o000, 0o022], ids=["umask000", "umask022"])
def test_a_running_daemon_keeps_its_data_private(tmp_path: Path, umask_value: int) -> None:
    old = os.umask(umask_value)
    try:
        config = write_config(tmp_path)
        daemon = DaemonProcess(config, test_hooks=False).start()
        try:
            backup = cli(config, "backup", str(tmp_path / "var" / "nightly.db"))
            assert backup.returncode == 0, backup.stderr
            names = [
                "recado.db",
                "recado.db-wal",
                "recado.db-shm",
                "api_key",
                "secret_key",
                "recado.runtime.json",
                "recado.lock",
                "nightly.db",
            ]
            modes = {n: oct(mode(daemon.data_dir / n)) for n in names}
            assert modes == {n: "0o600" for n in names}
            # The directory that holds them is the daemon's alone too.
            assert oct(mode(daemon.data_dir)) == "0o700"
        finally:
            assert daemon.terminate() == 0
    finally:
        os.umask(old)
