"""Retention (CONTRACT §2) on the real daemon over rows the real daemon wrote, copied back in
time: at its hour on the injected clock the run deletes what is older than each kind's
period, a day's report answers the same after its rows are gone, raw bodies go after 30
days while the rows applied from them stay, and writes meanwhile never wait long."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import trio
import trio.testing

from recado.actors.retention import Retention
from recado.clock import TrioClock, iso
from recado.daemon.hooks import DaemonHooks
from recado.rules.retention import next_run
from recado.runtime.context import Daemon
from recado.storage.retention import file_bytes
from recado.storage.settings import set_setting
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.multiply_rows import fresh_database, multiply
from recado.testing.query_plans import StatementLog
from tests.conftest import running_daemon
from tests.process_helpers import cli
from tests.test_query_plans import problems
from tests.year_helpers import TABLES, make_seed, read_only

ZONE = ZoneInfo("America/Sao_Paulo")
# Three copies of the seed: today's, 300 days back (raw bodies past 30 days, rows kept) and
# 600 days back (past every 400-day period).
SPAN_DAYS, COPIES = 900.0, 3


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_seed(tmp_path_factory.mktemp("seed"))


def _three_ages(seed_db: Path, daemon_dir: Path, copies: int = COPIES) -> Path:
    db = daemon_dir / "var" / "recado.db"
    if db.parent.exists():
        shutil.rmtree(db.parent)
    fresh_database(db)
    multiply(seed_db, db, copies, span_days=SPAN_DAYS)
    return db


def _count(db: Path, sql: str, *params: object) -> int:
    conn = read_only(db)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


async def _report(client: httpx.AsyncClient, day: str) -> dict[str, Any]:
    response = await client.get(f"/report/daily.json?date={day}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _wait_for_run(db: Path) -> None:
    # The run happens in the daemon's threads: wait in real time, the trio clock stands.
    for _ in range(600):
        if _count(db, "SELECT COUNT(*) FROM retention_runs"):
            return
        await trio.to_thread.run_sync(time.sleep, 0.05)
    raise AssertionError("no retention run was recorded")


def _text(db: Path, sql: str) -> str:
    conn = read_only(db)
    try:
        return str(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


async def test_an_old_day_is_summarised_then_deleted_and_its_report_still_answers(
    seed_db: Path, daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    db = _three_ages(seed_db, daemon_dir)
    newest = datetime.fromisoformat(_text(db, "SELECT MAX(created_at) FROM messages"))
    now = newest + timedelta(hours=1)
    old_cutoff = iso(now - timedelta(days=400))
    body_cutoff = iso(now - timedelta(days=30))
    old_day = (newest - timedelta(days=600)).astimezone(ZONE).date().isoformat()
    kept_day = (newest - timedelta(days=300)).astimezone(ZONE).date().isoformat()
    old_messages = _count(db, "SELECT COUNT(*) FROM messages WHERE created_at < ?", old_cutoff)
    kept_messages = _count(db, "SELECT COUNT(*) FROM messages WHERE created_at >= ?", old_cutoff)
    kept_inbound = _count(
        db, "SELECT COUNT(*) FROM inbound_messages WHERE received_at >= ?", old_cutoff
    )
    assert old_messages and kept_inbound
    assert _count(
        db,
        "SELECT COUNT(*) FROM webhook_inbox WHERE received_at < ? AND length(body) > 0",
        body_cutoff,
    )

    size_before = file_bytes(db)
    async with running_daemon(daemon_dir, TABLES, clock=TrioClock(now)) as daemon:
        url = daemon.listeners["operator"].url
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            before = {d: await _report(client, d) for d in (old_day, kept_day)}
        assert sum(before[old_day]["messages"].values()) > 0
        at = next_run(daemon.clock.now(), ZONE, daemon.config.retention.hour)
        mock_clock.jump((at - daemon.clock.now()).total_seconds() + 1)
        await _wait_for_run(db)
        # A new connection: the server closed the idle one when the clock jumped.
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            after = {d: await _report(client, d) for d in (old_day, kept_day)}
            glance = (await client.get("/dashboard.json")).json()["database"]
            page = (await client.get("/dashboard", headers={"Accept": "text/html"})).text
    # The dashboard tells the run that happened and the next one.
    assert glance["bytes"] > 0
    # The freed pages went back to the disk: the file is smaller than before the run.
    assert file_bytes(db) < size_before, (file_bytes(db), size_before)
    assert glance["last_retention"]["rows"] > 0
    assert glance["next_retention_at"] == iso(at + timedelta(days=1))
    next_local = (at + timedelta(days=1)).astimezone(ZONE).strftime("%d/%m/%Y %H:%M")
    assert f'id="retention-next">{next_local}' in page
    assert after == before
    # The old day's rows are gone; the newer ones all stay.
    assert _count(db, "SELECT COUNT(*) FROM messages WHERE created_at < ?", old_cutoff) == 0
    assert _count(db, "SELECT COUNT(*) FROM events WHERE received_at < ?", old_cutoff) <= (
        _count(db, "SELECT COUNT(*) FROM appointments")
    )
    for table, at_col in (
        ("message_statuses", "received_at"),
        ("message_attempts", "started_at"),
        ("deliveries", "created_at"),
        ("inbound_messages", "received_at"),
        ("webhook_rejects", "received_at"),
    ):
        assert _count(db, f"SELECT COUNT(*) FROM {table} WHERE {at_col} < ?", old_cutoff) == 0
    assert (
        _count(db, "SELECT COUNT(*) FROM messages WHERE created_at >= ?", old_cutoff)
        == kept_messages
    )
    # Bodies past 30 days are cleared; the rows applied from them are all there.
    assert (
        _count(
            db,
            "SELECT COUNT(*) FROM webhook_inbox WHERE received_at < ? AND length(body) > 0",
            body_cutoff,
        )
        == 0
    )
    assert (
        _count(db, "SELECT COUNT(*) FROM inbound_messages WHERE received_at >= ?", old_cutoff)
        == kept_inbound
    )
    assert _count(
        db,
        "SELECT COUNT(*) FROM webhook_inbox WHERE received_at >= ? AND length(body) > 0",
        body_cutoff,
    )
    assert _text(db, "SELECT started_at FROM retention_runs") >= iso(at)


async def _writes_meanwhile(daemon: Daemon, done: trio.Event, waits: list[float]) -> None:
    n = 0
    while not done.is_set():
        started = time.perf_counter()
        await daemon.storage.write(set_setting, "retention_probe", n, daemon.clock.now())
        waits.append((time.perf_counter() - started) * 1000)
        n += 1


async def test_writes_go_on_between_the_batches_of_a_retention_run(
    seed_db: Path, daemon_dir: Path
) -> None:
    # Twelve copies: each kind has more rows past its period than one batch takes.
    db = _three_ages(seed_db, daemon_dir, copies=12)
    now = datetime.now(UTC) + timedelta(hours=1)
    log = StatementLog()
    hooks = DaemonHooks(storage_connection=log.connection_class())
    async with running_daemon(daemon_dir, TABLES, clock=TrioClock(now), hooks=hooks) as daemon:
        log.label = "retention"
        waits: list[float] = []
        done = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_writes_meanwhile, daemon, done, waits)
            run = await Retention(daemon).run_once()
            done.set()
        copies = daemon.storage.checkpointer
    assert sum(run.rows.values()) > 4000
    assert run.batches > 12
    # Every batch (the vacuum's too) waited for the log to be copied back before the next
    # (tests/test_checkpointer.py: what that wait keeps the log to).
    assert copies.waits >= run.batches
    # Writes were served between the batches, not queued behind the whole run. How long
    # each waited is a figure for a bench, not a unit test's assertion (it depends on the
    # machine): the run records its longest batch for the dashboard.
    assert len(waits) > run.batches
    assert run.longest_batch_ms > 0
    assert _count(db, "SELECT COUNT(*) FROM retention_runs") == 1
    # Each batch finds its rows through an index: it costs the same on any size.
    retention = StatementLog(entries=[e for e in log.entries if e.label == "retention"])
    assert len(retention.distinct()) > 10
    found = problems(db, retention)
    assert not found, "\n".join(found)


def test_db_stats_from_the_cli(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[retention]\nhour = 5\n")
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        out = cli(config, "db", "stats")
        assert out.returncode == 0, out.stderr
        assert "last retention run: none yet" in out.stdout
        assert "growth: unknown" in out.stdout
        as_json = json.loads(cli(config, "db", "stats", "--json").stdout)
        assert as_json["bytes"] > 0 and as_json["last_retention"] is None
        assert f"next retention run: {as_json['next_retention_at']}" in out.stdout
        assert datetime.fromisoformat(as_json["next_retention_at"]).astimezone(ZONE).hour == 5
    finally:
        daemon.terminate()


async def test_an_old_contingency_reply_goes_with_its_message(
    seed_db: Path, daemon_dir: Path
) -> None:
    """Incidents are kept; the record that a client got the contingency reply points at the
    reply's message, so it must go with it (foreign keys are on: else the batch fails)."""
    db = _three_ages(seed_db, daemon_dir)
    newest = datetime.fromisoformat(_text(db, "SELECT MAX(created_at) FROM messages"))
    now = newest + timedelta(hours=1)
    cutoff = iso(now - timedelta(days=400))
    conn = sqlite3.connect(db)
    try:
        with conn:
            incident = conn.execute("SELECT MIN(id) FROM incidents").fetchone()[0]
            message, customer = conn.execute(
                "SELECT id, customer_id FROM messages WHERE created_at < ? "
                "AND customer_id IS NOT NULL AND state NOT IN ('queued', 'sending') LIMIT 1",
                (cutoff,),
            ).fetchone()
            conn.execute(
                "INSERT INTO contingency_replies(incident_id, customer_id, message_id, "
                "inbound_wamid, planned_at) VALUES (?, ?, ?, 'wamid.old', ?)",
                (incident, customer, message, cutoff),
            )
    finally:
        conn.close()
    async with running_daemon(daemon_dir, TABLES, clock=TrioClock(now)) as daemon:
        run = await Retention(daemon).run_once()
    assert run.rows.get("messages", 0) > 0, run
    assert _count(db, "SELECT COUNT(*) FROM messages WHERE id = ?", message) == 0
    assert _count(db, "SELECT COUNT(*) FROM contingency_replies WHERE message_id = ?", message) == 0
    assert _count(db, "SELECT COUNT(*) FROM incidents WHERE id = ?", incident) == 1
