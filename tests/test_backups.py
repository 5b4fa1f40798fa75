"""Scheduled backups on the real daemon and the injected clock: one at start, one at each
fire of the cron schedule (the studio's zone), each a whole checked database, the oldest of
ours beyond ``keep`` removed and nobody else's file touched; a stale-backup alert once the
last good one is older than twice the schedule's interval, resolved by the next good one."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

from recado.clock import TrioClock
from recado.rules.backup_schedule import (
    backup_name,
    due,
    interval,
    last_good,
    next_look,
    stale_at,
    taken_at,
    to_remove,
)
from recado.rules.schedule import next_fire
from recado.storage import backup_files as bf
from recado.storage.alerts import add_alert_once
from recado.storage.connections import connect_writer
from recado.testing.multiply_rows import fresh_database
from tests.conftest import running_daemon

ZONE = ZoneInfo("America/Sao_Paulo")


def _ours(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if taken_at(p.name))


async def _until(check: Callable[[], bool], what: str) -> None:
    # The backup runs in the daemon's threads: wait in real time, the trio clock stands.
    for _ in range(400):
        if check():
            return
        await trio.to_thread.run_sync(time.sleep, 0.05)
    raise AssertionError(what)


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _open_stale(db: Path) -> list[tuple[object, ...]]:
    return _rows(
        db,
        "SELECT text_pt, text_en FROM alerts WHERE code = 'backup_stale' AND resolved_at IS NULL",
    )


def _failure_at(db: Path) -> object:
    found = _rows(db, "SELECT value_json FROM settings WHERE key = 'backup_last_failure'")
    return found[0][0] if found else None


async def test_backups_follow_the_schedule_are_checked_and_rotated(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    # 10:00 in São Paulo; "0 */6 * * *" fires at 12:00, 18:00, 00:00 there.
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    directory = daemon_dir / "var" / "bk"
    directory.mkdir(parents=True)
    others = ["notes.txt", "recado-manual.db", "recado-20200101T000000Z.db.bak"]
    for name in others:
        (directory / name).write_text("not ours")
    toml = '[backup]\nschedule = "0 */6 * * *"\nkeep = 2\ndir = "bk"\n'
    async with running_daemon(daemon_dir, toml, clock=clock) as daemon:
        await _until(lambda: len(_ours(directory)) == 1, "no backup at start")
        assert _ours(directory) == ["recado-20261201T130000Z.db"]
        expected = [
            "recado-20261201T150001Z.db",  # 12:00 local, a second late
            "recado-20261201T210001Z.db",
            "recado-20261202T030001Z.db",
        ]
        mock_clock.jump(2 * 3600 + 1)
        await _until(lambda: expected[0] in _ours(directory), "no backup at 12:00 local")
        for i in (1, 2):
            mock_clock.jump(6 * 3600)
            await _until(lambda i=i: _ours(directory) == expected[i - 1 : i + 1], "rotation")  # type: ignore[misc]
        # Between fires nothing more is taken.
        mock_clock.jump(3 * 3600)
        async with httpx.AsyncClient(base_url=daemon.listeners["operator"].url) as client:
            page = (await client.get("/backups.json")).json()
        assert [b["name"] for b in page["backups"]] == expected[:0:-1]
        assert page["stale"] is False
    assert _ours(directory) == expected[1:]
    assert sorted(p.name for p in directory.iterdir() if not taken_at(p.name)) == sorted(others)
    for name in _ours(directory):
        assert (directory / name).stat().st_mode & 0o777 == 0o600
        conn = sqlite3.connect(directory / name)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] >= 12
        finally:
            conn.close()


async def test_backups_failing_for_twice_the_interval_raise_an_alert_the_next_good_resolves(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 30, tzinfo=UTC))
    blocker = daemon_dir / "var" / "bk"
    blocker.parent.mkdir(parents=True)
    # A file where the directory should be: every backup fails.
    blocker.write_text("not a directory")
    db = daemon_dir / "var" / "recado.db"
    toml = '[backup]\nschedule = "0 * * * *"\nkeep = 3\ndir = "bk"\n'
    async with running_daemon(daemon_dir, toml, clock=clock) as daemon:
        await _until(lambda: _failure_at(db) is not None, "the failure at start is not kept")
        # Fires at 14:00 and 15:00 fail; the last good (none: since 13:30) is not 2 h old.
        for hour in (14, 15):
            before = _failure_at(db)
            mock_clock.jump(3600 if hour == 15 else 1800 + 1)
            await _until(lambda b=before: _failure_at(db) != b, f"no attempt at {hour}:00")  # type: ignore[misc]
            assert not _open_stale(db)
        mock_clock.jump(1800)  # 15:30:01: twice the interval since backups were scheduled
        await _until(lambda: bool(_open_stale(db)), "no stale-backup alert")
        ((pt, _en),) = _open_stale(db)
        assert "Nenhum backup agendado" in str(pt)
        async with httpx.AsyncClient(base_url=daemon.listeners["operator"].url) as client:
            board = (await client.get("/dashboard.json")).json()
            page = (await client.get("/backups.json")).json()
        assert "backup_stale" in [r["code"] for r in board["reasons"]]
        assert page["stale"] is True and str(blocker) in page["last_failure"]["reason"]
        blocker.unlink()
        mock_clock.jump(1800)  # 16:00:01
        await _until(lambda: len(_ours(blocker)) == 1, "no backup once it could write")
        await _until(lambda: not _open_stale(db), "the alert is not resolved")
        async with httpx.AsyncClient(base_url=daemon.listeners["operator"].url) as client:
            board = (await client.get("/dashboard.json")).json()
            page = (await client.get("/backups.json")).json()
        assert "backup_stale" not in [r["code"] for r in board["reasons"]]
        assert page["stale"] is False and page["last_failure"] is None


def test_names_rotation_and_due() -> None:
    t = datetime(2026, 12, 1, 4, 15, tzinfo=UTC)
    name = backup_name(t)
    assert name == "recado-20261201T041500Z.db" and taken_at(name) == t
    assert taken_at("recado.db") is None and taken_at(name + ".partial") is None
    names = [backup_name(t + timedelta(hours=h)) for h in (3, 0, 2, 1)]
    leftovers = [backup_name(t) + ".partial", backup_name(t) + ".partial-journal"]
    others = ["notes.txt", "recado.db", "recado-x.db", name + ".bak"]
    assert to_remove(names + leftovers + others, 2) == [
        backup_name(t + timedelta(hours=1)),
        name,
        *sorted(leftovers),
    ]
    assert last_good(names + others) == t + timedelta(hours=3)
    assert last_good(others) is None
    hourly = "0 * * * *"
    assert due(hourly, None, t, ZONE)
    assert due(hourly, t - timedelta(minutes=16), t, ZONE)
    assert not due(hourly, t - timedelta(minutes=14), t, ZONE)


@given(
    st.sampled_from(["0 * * * *", "*/15 * * * *", "0 3 * * *", "30 2 * * 0", "0 */6 * * *"]),
    st.datetimes(datetime(2001, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC)),
)
def test_stale_is_twice_the_interval_after_the_last_good(schedule: str, last: datetime) -> None:
    gap = timedelta(seconds=interval(schedule, last, ZONE))
    assert gap >= timedelta(minutes=15)
    assert stale_at(schedule, last, ZONE) == last + 2 * gap


@given(
    st.sampled_from(["0 * * * *", "*/15 * * * *", "0 3 * * *", "30 2 * * 0", "0 */6 * * *"]),
    st.datetimes(datetime(2001, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC)),
    st.timedeltas(timedelta(0), timedelta(days=30)),
)
def test_a_fire_the_clock_stepped_over_is_looked_at_at_once(
    schedule: str, last: datetime, ahead: timedelta
) -> None:
    # The clock may move between the backup and the computing of the next wake (CI saw it):
    # the wake comes from the last good backup, so a fire passed meanwhile is never skipped.
    now = last + ahead
    far = now + timedelta(days=400)
    wake = next_look(schedule, last, None, far, now, ZONE)
    if due(schedule, last, now, ZONE):
        assert wake <= now
    else:
        # Woken at the first instant one is due, not later, not before.
        assert now < wake and due(schedule, last, wake, ZONE)
        assert not due(schedule, last, wake - timedelta(seconds=1), ZONE)
    # A failed backup waits for its retry, however many fires were missed; the stale
    # deadline, while ahead, wakes it first.
    retry = now + timedelta(minutes=7)
    assert next_look(schedule, last, retry, far, now, ZONE) == retry
    assert next_look(schedule, last, retry, now + timedelta(minutes=1), now, ZONE) == (
        now + timedelta(minutes=1)
    )
    assert next_look(schedule, None, None, far, now, ZONE) == next_fire(schedule, now, ZONE)


async def test_the_backups_page_in_both_languages_with_local_times(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    # 13:00 UTC is 10:00 in São Paulo: the page shows the studio's time, never UTC.
    for locale, words in (("pt-BR", "Último backup bom"), ("en", "Last good backup")):
        clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
        home = daemon_dir / locale
        directory = home / "var" / "backups"
        toml = f'[ui]\nlocale = "{locale}"\n[backup]\nschedule = "0 3 * * *"\n'
        async with running_daemon(home, toml, clock=clock) as daemon:
            await _until(lambda d=directory: len(_ours(d)) >= 1, "no backup at start")  # type: ignore[misc]
            mock_clock.jump(2 * 3600)
            url = daemon.listeners["operator"].url
            async with httpx.AsyncClient(base_url=url) as client:
                html = (await client.get("/backups", headers={"Accept": "text/html"})).text
                board = (await client.get("/dashboard", headers={"Accept": "text/html"})).text
        assert words in html and 'href="/backups"' in board
        assert "01/12/2026 10:00" in html and "2 h" in html and "recado restore" in html
        assert "02/12/2026 03:00" in html  # the next fire, 03:00 in the studio's zone


def _stale_alert_about(db: Path, subject: str) -> None:
    fresh_database(db)
    conn = connect_writer(db)
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    add_alert_once(conn, at, "warning", "backup_stale", subject, "Backup antigo", "Old backup")
    bf.record_failure(conn, at, f"{subject}/recado-20261130T120000Z.db", "Not a directory")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("schedule", ["0 3 * * *", ""])
async def test_a_stale_alert_about_what_is_no_longer_watched_is_resolved_at_start(
    daemon_dir: Path, mock_clock: trio.testing.MockClock, schedule: str
) -> None:
    # Raised while backups went to another directory (or were scheduled at all): after the
    # restart that moved them nothing would ever resolve it.
    db = daemon_dir / "var" / "recado.db"
    _stale_alert_about(db, str(daemon_dir / "var" / "old-backups"))
    toml = f'[backup]\nschedule = "{schedule}"\ndir = "bk"\n'
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    async with running_daemon(daemon_dir, toml, clock=clock):
        await _until(lambda: not _open_stale(db), "the old directory's alert stays open")
        # And the backups page no longer shows that directory's failure.
        await _until(lambda: _failure_at(db) is None, "the old directory's failure stays")
    assert _rows(db, "SELECT COUNT(*) FROM alerts WHERE code = 'backup_stale'") == [(1,)]


def test_only_a_failure_into_another_directory_is_forgotten(tmp_path: Path) -> None:
    db = tmp_path / "recado.db"
    fresh_database(db)
    conn = connect_writer(db)
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    here = tmp_path / "backups"
    for watched, forgotten in (
        (str(here), False),
        (str(tmp_path / "elsewhere"), True),
        (None, True),
    ):
        bf.record_failure(conn, at, str(here / "recado-20261130T120000Z.db"), "disk full")
        assert bf.clear_failure_elsewhere(conn, watched) is forgotten
        assert (bf.last_failure(conn) is None) is forgotten
    assert bf.last_failure(conn) is None
    conn.close()
