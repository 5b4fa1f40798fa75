"""``recado restore PATH``: the restore drill (a backup taken while events are being posted,
restored into a fresh data directory, every write acknowledged before the backup present),
and each refusal naming its problem with the database in place untouched: a running daemon,
a file that is not SQLite, an SQLite file that is not recado's, a newer schema, a damaged
file, no file at all. The database in place goes aside whole, its WAL folded in, and no
journal of it is left beside the restored one."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest
import trio

from recado.cli.main import main
from recado.storage.migrate import available
from recado.testing.daemon_process import write_config
from recado.testing.multiply_rows import fresh_database
from tests.conftest import running_daemon
from tests.hub_helpers import real_pause

KNOWN = available()[-1].version


def _events(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM events")}
    finally:
        conn.close()


def _digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.glob("recado.db*"))
    }


async def test_a_backup_under_load_restored_into_a_fresh_data_dir_has_every_acknowledged_write(
    daemon_dir: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "drill" / "recado-drill.db"
    acked: list[tuple[str, float]] = []
    async with running_daemon(daemon_dir) as daemon:
        public = daemon.listeners["public"].url
        headers = {"X-API-Key": daemon.api_key}

        async def poster(client: httpx.AsyncClient, worker: int, stop: trio.Event) -> None:
            n = 0
            while not stop.is_set():
                eid = f"drill-{worker}-{n}"
                body = {
                    "id": eid,
                    "type": "lead.created",
                    "occurred_at": "2026-12-01T12:00:00+00:00",
                    "data": {"id": eid, "name": "Ana"},
                }
                answer = await client.post(f"{public}/api/v1/events", json=body, headers=headers)
                assert answer.status_code == 202, answer.text
                acked.append((eid, trio.current_time()))
                n += 1

        stop = trio.Event()
        async with httpx.AsyncClient(timeout=30) as client, trio.open_nursery() as nursery:
            for worker in range(3):
                nursery.start_soon(poster, client, worker, stop)
            while len(acked) < 150:
                await real_pause(0.05)
            started = trio.current_time()
            answer = await client.post(
                f"{daemon.listeners['operator'].url}/backup",
                json={"path": str(backup)},
                headers=headers,
            )
            ended = trio.current_time()
            assert answer.status_code == 200, answer.text
            during = len(acked)
            while len(acked) < during + 30:
                await real_pause(0.05)
            stop.set()
    before = {eid for eid, at in acked if at < started}
    assert len(before) >= 150
    # Writes went on while the backup ran and after it: the backup is of a live database.
    assert any(at > ended for _eid, at in acked)

    fresh = tmp_path / "fresh"
    config = write_config(fresh)
    assert main(["restore", str(backup), "--config", str(config)]) == 0
    db = fresh / "var" / "recado.db"
    restored = _events(db)
    assert before <= restored, sorted(before - restored)[:5]
    assert not [p.name for p in db.parent.iterdir() if p.name.startswith("recado.db-")]
    async with running_daemon(fresh) as again, httpx.AsyncClient(timeout=30) as client:
        board = (await client.get(f"{again.listeners['operator'].url}/dashboard.json")).json()
        assert board["storage"]["schema_version"] == KNOWN
    assert before <= _events(db)


def _backup_of(tmp_path: Path) -> Path:
    db = tmp_path / "made" / "recado.db"
    fresh_database(db)
    return db


async def test_restore_is_refused_while_the_daemon_runs(
    daemon_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = _backup_of(tmp_path)
    async with running_daemon(daemon_dir) as daemon:
        before = _digest(daemon.data_dir)
        code = await trio.to_thread.run_sync(
            main, ["restore", str(backup), "--config", str(daemon.config_path)]
        )
        assert code == 1
        err = capsys.readouterr().err
        assert "recado must be stopped first" in err and "already running" in err, err
        assert _digest(daemon.data_dir) == before


def _not_sqlite(path: Path) -> str:
    path.write_bytes(b"PK\x03\x04 a zip, not a database" * 100)
    return "not an SQLite database"


def _not_recado(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes(x)")
    conn.commit()
    conn.close()
    return "not a recado backup (it has no schema_version table)"


def _newer(path: Path) -> str:
    shutil.copy(_backup_of(path.parent), path)
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO schema_version(version, name, applied_at) VALUES (?, 'future', 'now')",
        (KNOWN + 1,),
    )
    conn.commit()
    conn.close()
    return f"newer recado: its schema is version {KNOWN + 1}, this recado knows versions up to"


def _damaged(path: Path) -> str:
    shutil.copy(_backup_of(path.parent), path)
    data = bytearray(path.read_bytes())
    page = 4096
    # Every page after the first overwritten: the schema still reads, the b-trees do not.
    for offset in range(page, len(data), page):
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return "is damaged"


def _missing(path: Path) -> str:
    return "cannot be read: No such file or directory"


def _directory(path: Path) -> str:
    path.mkdir()
    return "is a directory"


@pytest.mark.parametrize(
    "make",
    [_not_sqlite, _not_recado, _newer, _damaged, _missing, _directory],
    ids=lambda f: f.__name__,
)
async def test_a_file_that_is_no_backup_of_this_recado_is_refused_naming_the_problem(
    daemon_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], make
) -> None:  # type: ignore[no-untyped-def]
    async with running_daemon(daemon_dir, "[backup]\n") as daemon:
        config = daemon.config_path
    data_dir = daemon_dir / "var"
    before = _digest(data_dir)
    path = tmp_path / "given" / "backup.db"
    path.parent.mkdir()
    expected = make(path)
    assert main(["restore", str(path), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "restore refused" in err and str(path) in err and expected in err, err
    assert _digest(data_dir) == before
    assert not [p.name for p in data_dir.iterdir() if "restoring" in p.name or "before" in p.name]


async def test_the_database_in_place_goes_aside_with_its_wal_folded_in(
    daemon_dir: Path, tmp_path: Path
) -> None:
    backup = _backup_of(tmp_path)
    config = write_config(daemon_dir)
    db = daemon_dir / "var" / "recado.db"
    fresh_database(db)
    # A hot WAL: committed rows only in recado.db-wal, as a daemon killed -9 leaves them.
    held = sqlite3.connect(db)
    held.execute("PRAGMA wal_autocheckpoint=0")
    held.execute(
        "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
        "VALUES ('only-in-wal', 'lead.created', 'x', '{}', 'h', 'x')"
    )
    held.commit()
    hot = tmp_path / "hot"
    hot.mkdir()
    for name in ("recado.db", "recado.db-wal"):
        shutil.copy(db.parent / name, hot / name)
    held.close()
    for name in ("recado.db", "recado.db-wal"):
        shutil.copy(hot / name, db.parent / name)
    (db.parent / "recado.db-shm").unlink(missing_ok=True)
    assert main(["restore", str(backup), "--config", str(config)]) == 0
    assert "only-in-wal" not in _events(db)
    assert not [p.name for p in db.parent.iterdir() if p.name.startswith("recado.db-")]
    (aside,) = db.parent.glob("recado.db.before-restore-*")
    assert [p.name for p in db.parent.glob("recado.db.before-restore-*-wal")] == []
    assert "only-in-wal" in _events(aside)
