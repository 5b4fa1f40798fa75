"""A retention step looks at a kept row once per run, not once per batch: the events an
appointment still points at stay, a few on every day of a year, and a scan that started
at the oldest event in every batch read all of them again each time (at 1 M messages,
8,000 kept events made each 10-row batch hold the writer 100-370 ms)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recado.storage.connections import connect_writer
from recado.storage.retention import delete_events
from recado.testing.multiply_rows import fresh_database

CUTOFF = "2025-01-01T00:00:00.000Z"
NOW = "2026-01-01T00:00:00.000Z"


def _at(day: int, second: int) -> str:
    return f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T00:00:{second:02d}.000Z"


def _event(conn: sqlite3.Connection, event_id: str, received_at: str) -> None:
    conn.execute(
        "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
        "VALUES (?, 'appointment.created', ?, '{}', '', ?)",
        (event_id, received_at, received_at),
    )


def _database(tmp_path: Path, kept: int, deletable: int) -> sqlite3.Connection:
    """``kept`` old events appointments point at, then ``deletable`` old ones nothing does."""
    db = tmp_path / "var" / "recado.db"
    fresh_database(db)
    conn = connect_writer(db)
    conn.execute("BEGIN")
    for n in range(kept):
        _event(conn, f"kept-{n}", _at(n % 300, 0))
        conn.execute(
            "INSERT INTO appointments(id, client_name, phone, wa_id, service, starts_at, "
            "status, last_event_id, created_at, updated_at) "
            "VALUES (?, 'c', '+5511900000000', '5511900000000', 's', ?, 'scheduled', ?, ?, ?)",
            (f"apt-{n}", NOW, f"kept-{n}", NOW, NOW),
        )
    for n in range(deletable):
        _event(conn, f"old-{n}", _at(300 + n // 50, n % 50))
    conn.execute("COMMIT")
    return conn


def _steps(conn: sqlite3.Connection, limit: int, after: str) -> tuple[int, int, str]:
    """(rows deleted, SQLite VM steps the batch took, its ``after``) of one batch."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(count, 1)
    conn.execute("BEGIN")
    done = delete_events(conn, CUTOFF, NOW, limit, after)
    conn.execute("COMMIT")
    conn.set_progress_handler(None, 1)
    return done.rows, steps[0], done.after


def test_batches_after_the_first_do_not_read_the_kept_events_again(tmp_path: Path) -> None:
    conn = _database(tmp_path, kept=1500, deletable=200)
    rows, first, after = _steps(conn, 20, "")
    assert rows == 20
    costs = []
    while rows == 20:
        rows, cost, after = _steps(conn, 20, after)
        costs.append(cost)
    # Every later batch costs what its own rows cost, not the 1,500 kept events again.
    assert max(costs) * 10 < first
    left = conn.execute("SELECT COUNT(*) FROM events WHERE id LIKE 'old-%'").fetchone()[0]
    assert left == 0
    kept = conn.execute("SELECT COUNT(*) FROM events WHERE id LIKE 'kept-%'").fetchone()[0]
    assert kept == 1500
    conn.close()


def test_a_step_s_scan_ends_at_the_cutoff_once_nothing_is_left(tmp_path: Path) -> None:
    conn = _database(tmp_path, kept=30, deletable=5)
    rows, _, after = _steps(conn, 20, "")
    assert (rows, after) == (5, CUTOFF)
    rows, _, after = _steps(conn, 20, after)
    assert (rows, after) == (0, CUTOFF)
    conn.close()
