"""The counts of live items (migration 0017) stay equal to counting the rows, whatever
happens to them: deliveries made, moved between states and deleted (retention), items set
aside, set aside again, resolved by an operator and deleted."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recado.rules.states import DELIVERY_STATES
from recado.storage.connections import connect_writer
from recado.storage.live_counts import DEAD_DELIVERIES, OPEN_SYNC_FAILURES, live_count
from recado.storage.migrate import migrate
from recado.storage.sync import record_item_retry, set_aside

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JOBS = ("clients", "stock")

_delivery = st.tuples(st.just("delivery"), st.sampled_from(DELIVERY_STATES))
_move = st.tuples(st.just("move"), st.integers(0, 30), st.sampled_from(DELIVERY_STATES))
_drop = st.tuples(st.just("drop"), st.integers(0, 30))
_aside = st.tuples(st.just("aside"), st.sampled_from(JOBS), st.integers(0, 4))
_resolve = st.tuples(st.just("resolve"), st.integers(0, 30), st.sampled_from(["resolved", "x"]))
_unaside = st.tuples(st.just("unaside"), st.integers(0, 30))
OPS = st.lists(st.one_of(_delivery, _move, _drop, _aside, _resolve, _unaside), max_size=40)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database of the current schema, made once: each example starts from a copy."""
    db = tmp_path_factory.mktemp("schema") / "recado.db"
    conn = connect_writer(db)
    migrate(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def _fresh(directory: Path, migrated: Path) -> sqlite3.Connection:
    db = directory / "recado.db"
    for leftover in directory.glob("recado.db*"):
        leftover.unlink()
    shutil.copyfile(migrated, db)
    conn = connect_writer(db)
    conn.execute(
        "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
        "VALUES ('e1', 'lead.created', ?, '{}', 'x', ?)",
        (NOW.isoformat(), NOW.isoformat()),
    )
    conn.execute(
        "INSERT INTO sync_runs(id, job, trigger, started_at, status, cursor_before) "
        "VALUES (1, 'clients', 'schedule', ?, 'running', '')",
        (NOW.isoformat(),),
    )
    return conn


def _pick(conn: sqlite3.Connection, table: str, i: int) -> int | None:
    ids = [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
    return ids[i % len(ids)] if ids else None


def _apply(conn: sqlite3.Connection, op: tuple[object, ...]) -> None:
    kind = op[0]
    if kind == "delivery":
        conn.execute(
            "INSERT INTO deliveries(event_id, action, state, next_attempt_at, created_at, "
            "updated_at) VALUES ('e1', 'http:crm:POST:/' || "
            "(SELECT IFNULL(MAX(id), 0) + 1 FROM deliveries), ?, ?, ?, ?)",
            (op[1], NOW.isoformat(), NOW.isoformat(), NOW.isoformat()),
        )
    elif kind == "move" and (d := _pick(conn, "deliveries", int(op[1]))) is not None:  # type: ignore[call-overload]
        conn.execute("UPDATE deliveries SET state = ? WHERE id = ?", (op[2], d))
    elif kind == "drop" and (d := _pick(conn, "deliveries", int(op[1]))) is not None:  # type: ignore[call-overload]
        conn.execute("DELETE FROM deliveries WHERE id = ?", (d,))
    elif kind == "aside":
        set_aside(conn, str(op[1]), 1, f"item-{op[2]}", "{}", "http_4xx", "pt", "en", 422, NOW)
    elif kind == "resolve" and (f := _pick(conn, "sync_failures", int(op[1]))) is not None:  # type: ignore[call-overload]
        record_item_retry(conn, f, NOW, str(op[2]), "http_4xx", "pt", "en", 200, "127.0.0.1")
    elif kind == "unaside" and (f := _pick(conn, "sync_failures", int(op[1]))) is not None:  # type: ignore[call-overload]
        conn.execute("DELETE FROM sync_failures WHERE id = ?", (f,))


@settings(max_examples=60)
@given(ops=OPS)
def test_the_live_counts_are_the_rows_counted(
    tmp_path_factory: pytest.TempPathFactory, migrated: Path, ops: list[tuple[object, ...]]
) -> None:
    conn = _fresh(tmp_path_factory.mktemp("live"), migrated)
    try:
        for op in ops:
            _apply(conn, op)
        dead = conn.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'dead'").fetchone()[0]
        assert live_count(conn, DEAD_DELIVERIES) == dead
        for job in JOBS:
            open_ = conn.execute(
                "SELECT COUNT(*) FROM sync_failures WHERE job = ? AND resolved_at IS NULL",
                (job,),
            ).fetchone()[0]
            assert live_count(conn, OPEN_SYNC_FAILURES, job) == open_
    finally:
        conn.close()


def test_a_database_from_before_is_counted_once_by_the_migration(
    tmp_path: Path, migrated: Path
) -> None:
    conn = _fresh(tmp_path, migrated)
    for state in ("dead", "dead", "done", "archived"):
        _apply(conn, ("delivery", state))
    _apply(conn, ("aside", "clients", 1))
    # As a file of schema 16 has them: rows, and no counts yet.
    conn.execute("DELETE FROM live_counts")
    conn.execute("DELETE FROM schema_version WHERE version = 17")
    for name in [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'live_%'"
        )
    ]:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE live_counts")
    conn.commit()
    assert migrate(conn) == 17
    assert live_count(conn, DEAD_DELIVERIES) == 2
    assert live_count(conn, OPEN_SYNC_FAILURES, "clients") == 1
    conn.close()
