"""A message's operator actions are read by the audit rows that name it, not by a walk over
every audit row since the message was made (issue 16: 87 ms for a year-old message at
1 M messages, through the time index)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recado.storage.connections import connect_writer
from recado.storage.message_queries import operator_actions
from recado.storage.migrate import migrate
from recado.testing.multiply_rows import fresh_database, multiply
from recado.testing.query_plans import StatementLog


def test_an_old_message_s_actions_are_read_by_its_name(tmp_path: Path) -> None:
    log = StatementLog()
    conn = connect_writer(tmp_path / "recado.db", log.connection_class())
    migrate(conn)
    made = "2025-11-01T10:00:00.000Z"
    # A year of other audit rows after the message was made, and the two that name it.
    conn.executemany(
        "INSERT INTO audit_log(at, action, target, source_ip) VALUES (?, ?, ?, '127.0.0.1')",
        [
            (f"2026-{1 + i % 12:02d}-01T10:{i % 60:02d}:00.000Z", "dlq.retry", f"d{i}")
            for i in range(3000)
        ]
        + [
            ("2025-11-02T09:00:00.000Z", "messages.retry", "job_a"),
            ("2025-11-03T09:00:00.000Z", "messages.discard", "job_a"),
            ("2025-11-03T09:30:00.000Z", "messages.retry", "job_b"),
        ],
    )
    log.entries.clear()
    actions = operator_actions(conn, "job_a", made)
    assert [(a.at, a.action) for a in actions] == [
        ("2025-11-02T09:00:00.000Z", "retry"),
        ("2025-11-03T09:00:00.000Z", "discard"),
    ]
    [read] = [s for s in log.entries if "audit_log" in s.sql]
    plan = " ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {read.sql}", read.params))
    assert "USING INDEX audit_log_target (target=? AND at>?)" in plan, plan
    conn.close()


def test_the_copies_of_a_year_move_audit_rows_back_in_time_with_their_targets(
    tmp_path: Path,
) -> None:
    """The bench's year of data (``multiply``) spreads the audit log over the year as it
    spreads the messages, each copy naming its own copy of the target (the copies all sat
    at the seed's instant, naming the seed's targets, which no year of a studio looks
    like)."""
    seed, year = tmp_path / "seed.db", tmp_path / "year.db"
    fresh_database(seed)
    fresh_database(year)
    conn = connect_writer(seed)
    conn.executemany(
        "INSERT INTO audit_log(at, action, target) VALUES (?, ?, ?)",
        [
            ("2026-12-01T10:00:00.000Z", "messages.retry", "job_a"),
            ("2026-12-01T10:00:01.000Z", "config.reload", ""),
        ],
    )
    conn.commit()
    conn.close()
    multiply(seed, year, copies=4, span_days=400)
    copied = sqlite3.connect(year)
    rows = copied.execute(
        "SELECT at, target FROM audit_log WHERE action = 'messages.retry' ORDER BY at"
    ).fetchall()
    assert [t for _, t in rows] == ["job_a.3", "job_a.2", "job_a.1", "job_a.0"]
    # Copy k sits k × 100 days before the seed (400 days over 4 copies).
    assert [a[:10] for a, _ in rows] == ["2026-02-04", "2026-05-15", "2026-08-23", "2026-12-01"]
    assert copied.execute(
        "SELECT DISTINCT target FROM audit_log WHERE action = 'config.reload'"
    ).fetchall() == [("",)]
    copied.close()
