"""A backup the destination cannot take is the destination's failure: it names the
destination (507 when its file system is full, 422 otherwise), never the database's 503,
and leaves nothing behind there, whether it failed at once or halfway."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from recado.runtime.context import Daemon
from tests.conftest import running_daemon
from tests.fault_helpers import fill_disk, remount, small_tmpfs


async def _backup(client: httpx.AsyncClient, daemon: Daemon, dest: Path) -> httpx.Response:
    url = daemon.listeners["operator"].url
    return await client.post(
        f"{url}/backup", json={"path": str(dest)}, headers={"X-API-Key": daemon.api_key}
    )


async def _database_is_fine(client: httpx.AsyncClient, daemon: Daemon) -> None:
    board = (await client.get(f"{daemon.listeners['operator'].url}/dashboard.json")).json()
    assert board["storage"]["fault"] is None
    assert not [r for r in board["reasons"] if r["code"].startswith("storage")]
    ready = await client.get(f"{daemon.listeners['operator'].url}/readyz")
    assert ready.status_code == 200, ready.text


def _database_bytes(daemon: Daemon) -> int:
    return sum(
        p.stat().st_size for p in daemon.data_dir.glob("recado.db*") if not p.name.endswith("shm")
    )


@pytest.mark.parametrize("free", ["none", "half"])
async def test_a_full_destination_is_named_and_leaves_no_partial_file(
    daemon_dir: Path, tmp_path: Path, free: str
) -> None:
    async with (
        running_daemon(daemon_dir) as daemon,
        httpx.AsyncClient(timeout=30) as client,
    ):
        with small_tmpfs(tmp_path / "full", "2m") as mount:
            filler = fill_disk(mount)
            if free == "half":
                # Room for the start of the copy, not for all of it: it fails halfway.
                size = filler.stat().st_size
                os.truncate(filler, max(0, size - _database_bytes(daemon) // 2))
            dest = mount / "backups" / "recado.db"
            answer = await _backup(client, daemon, dest)
            assert answer.status_code == 507, answer.text
            body = answer.json()
            assert body["error"] == "backup_failed" and body["field"] == "path"
            assert str(dest) in body["detail"] and "no space" in body["detail"]
            left = sorted(str(p.relative_to(mount)) for p in mount.rglob("*") if p.is_file())
            assert left == ["filler.bin"], left
            await _database_is_fine(client, daemon)
            # The database takes writes, and a backup where there is room works.
            done = await _backup(client, daemon, tmp_path / "elsewhere.db")
            assert done.status_code == 200, done.text


async def test_any_destination_failure_is_a_422_naming_it(daemon_dir: Path, tmp_path: Path) -> None:
    async with (
        running_daemon(daemon_dir) as daemon,
        httpx.AsyncClient(timeout=30) as client,
    ):
        a_file = tmp_path / "a_file"
        a_file.write_text("x")
        with small_tmpfs(tmp_path / "ro", "1m") as mount:
            remount(mount, "ro")
            for dest in (a_file / "under" / "b.db", mount / "b.db", mount / "sub" / "b.db"):
                answer = await _backup(client, daemon, dest)
                assert answer.status_code == 422, (dest, answer.text)
                body = answer.json()
                assert body["error"] == "backup_failed" and str(dest) in body["detail"]
                if dest.parent.is_dir():
                    assert not list(dest.parent.glob("b.db*")), dest
            await _database_is_fine(client, daemon)
