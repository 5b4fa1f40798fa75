"""The message list filtered by a day costs the same whichever day it is: a day a year ago
reads its own rows, not every row written since (bench/pages_at_scale.py measured the
oldest day at 250 ms on 1 M messages while the newest took 3 ms)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recado.clock import iso
from recado.storage.connections import connect_writer
from recado.storage.message_queries import list_messages
from recado.storage.migrate import migrate

DAYS, PER_DAY = 120, 60
FIRST = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = connect_writer(tmp_path / "recado.db")
    migrate(c)
    c.execute("BEGIN")
    c.executemany(
        "INSERT INTO messages(id, kind, state, created_at, updated_at) "
        "VALUES (?, 'appointment_created', 'sent', ?, ?)",
        (
            (f"m{d}-{i}", at, at)
            for d in range(DAYS)
            for i in range(PER_DAY)
            for at in [iso(FIRST + timedelta(days=d, minutes=i))]
        ),
    )
    c.execute("COMMIT")
    yield c
    c.close()


def _steps(conn: sqlite3.Connection, day: int, before: tuple[str, str] | None) -> tuple[int, int]:
    """(rows answered, SQLite VM steps taken) for the list of ``day``."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(count, 100)
    start = FIRST + timedelta(days=day)
    try:
        rows = list_messages(
            conn,
            state=None,
            kind=None,
            day_start=iso(start),
            day_end=iso(start + timedelta(days=1)),
            phone=None,
            before=before,
            limit=25,
        )
    finally:
        conn.set_progress_handler(None, 0)
    assert all(r.created_at[:10] == start.date().isoformat() for r in rows)
    return len(rows), steps[0]


@pytest.mark.parametrize("before", [None, ("9999", ""), ("2026-03-01T00:00:00.000Z", "")])
def test_a_day_long_ago_reads_no_more_than_a_recent_one(
    conn: sqlite3.Connection, before: tuple[str, str] | None
) -> None:
    old_rows, old_steps = _steps(conn, 0, before)
    new_rows, new_steps = _steps(conn, DAYS - 1, None)
    assert old_rows == new_rows == 25
    assert old_steps <= 2 * new_steps + 5, (old_steps, new_steps)


def test_the_day_and_the_page_boundary_together(conn: sqlite3.Connection) -> None:
    # The first page of a day, then the next from its last row: no row twice, none lost.
    start = FIRST + timedelta(days=10)
    seen: list[str] = []
    before = None
    while True:
        page = list_messages(
            conn,
            state=None,
            kind=None,
            day_start=iso(start),
            day_end=iso(start + timedelta(days=1)),
            phone=None,
            before=before,
            limit=25,
        )
        if not page:
            break
        seen += [r.id for r in page]
        before = (page[-1].created_at, page[-1].id)
    assert sorted(seen) == sorted(f"m10-{i}" for i in range(PER_DAY))
