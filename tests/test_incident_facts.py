"""What the trigger and closing rules read from a real database: which send attempts are
failures, which say Meta's side is unwell (5xx, timeouts, no connection), the streak since
Meta last answered, and the window of the failure rate."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recado.clock import iso
from recado.storage.connections import connect_writer
from recado.storage.incident_facts import (
    first_unanswered_send,
    flow_counts,
    last_failure_since,
    send_facts,
)
from recado.storage.migrate import migrate
from recado.storage.whatsapp_fault_facts import throttle_facts
from recado.testing.query_plans import StatementLog

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
WINDOW_S = 1800


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = connect_writer(tmp_path / "recado.db")
    migrate(c)
    c.execute(
        "INSERT INTO messages(id, kind, state, created_at, updated_at) "
        "VALUES ('m', 'appointment_created', 'queued', 'x', 'x')"
    )
    yield c
    c.close()


def attempt(
    conn: sqlite3.Connection,
    minutes_ago: float,
    outcome: str,
    http_status: int | None = None,
    error_code: int | None = None,
    dry_run: int = 0,
) -> None:
    at = iso(NOW - timedelta(minutes=minutes_ago))
    conn.execute(
        "INSERT INTO message_attempts(message_id, n, started_at, finished_at, to_number, "
        "dry_run, request_json, outcome, http_status, error_code) "
        "VALUES ('m', 1, ?, ?, '+5511987654321', ?, '{}', ?, ?, ?)",
        (at, at, dry_run, outcome, http_status, error_code),
    )


# (outcome, http_status, error_code): Meta unwell / a failure at all.
KINDS = [
    (("rejected", 503, None), True, True),
    (("rejected", 500, 2), True, True),
    (("not_sent", None, None), True, True),  # no connection: the request never left
    (("unknown", None, None), True, True),  # a timeout after the request was written
    (("rejected", 400, 131026), False, True),  # Meta answered: the number is the problem
    (("rejected", 429, 131056), False, True),
    (("rejected", 400, 131047), False, False),  # the 24 h rule doing its job
    (("sent", 200, None), False, False),
]


@pytest.mark.parametrize(("kind", "unwell", "failure"), KINDS)
def test_each_outcome_counts_as_what_it_says(
    conn: sqlite3.Connection, kind: tuple[str, int | None, int | None], unwell: bool, failure: bool
) -> None:
    attempt(conn, 10, *kind)
    attempt(conn, 5, *kind)
    facts = send_facts(conn, NOW, WINDOW_S)
    assert facts.graph_streak_failures == (2 if unwell else 0)
    assert facts.window_sends == 2
    assert facts.window_failures == (2 if failure else 0)
    assert (last_failure_since(conn, NOW - timedelta(hours=1)) is not None) is failure


def test_the_streak_starts_after_meta_last_answered(conn: sqlite3.Connection) -> None:
    attempt(conn, 40, "rejected", 503)
    attempt(conn, 30, "sent", 200)  # Meta answered: the earlier failure is history
    attempt(conn, 20, "rejected", 502)
    attempt(conn, 15, "rejected", 400, 131026)  # an answer too
    attempt(conn, 9, "unknown")
    attempt(conn, 3, "not_sent")
    attempt(conn, 1, "dry_run", 200, dry_run=1)  # no request reached Meta
    facts = send_facts(conn, NOW, WINDOW_S)
    assert facts.graph_streak_failures == 2
    assert facts.graph_failing_since == NOW - timedelta(minutes=9)
    assert facts.graph_last_failure_at == NOW - timedelta(minutes=3)
    # The failure rate's window is the last 30 minutes of real sends.
    assert (facts.window_sends, facts.window_failures) == (5, 4)
    assert facts.window_first_failure_at == NOW - timedelta(minutes=20)


def test_a_send_without_a_webhook_after_it_is_unanswered(conn: sqlite3.Connection) -> None:
    attempt(conn, 50, "sent", 200)
    conn.execute(
        "INSERT INTO webhook_inbox(received_at, body, body_sha256) VALUES (?, x'00', 'h')",
        (iso(NOW - timedelta(minutes=45)),),
    )
    attempt(conn, 40, "sent", 200)
    attempt(conn, 35, "sent", 200)
    facts = send_facts(conn, NOW, WINDOW_S)
    assert facts.last_webhook_at == NOW - timedelta(minutes=45)
    assert facts.first_unanswered_send_at == NOW - timedelta(minutes=40)


def _recording(tmp_path: Path) -> tuple[sqlite3.Connection, StatementLog]:
    """A connection to an empty database of the current schema that records what it runs,
    for the plans of what a fact reads."""
    db = tmp_path / "plans.db"
    writer = connect_writer(db)
    migrate(writer)
    writer.close()
    log = StatementLog()
    return sqlite3.connect(db, factory=log.connection_class()), log


def test_every_fact_reads_a_window_of_time_not_an_outcome_s_history(tmp_path: Path) -> None:
    """Each query of the facts reads attempts through the finished_at index: through the
    outcome index it would read every attempt of that outcome ever made (a year of sends at
    1 M messages took 1.3 s on the incident page, bench/pages_at_scale.py)."""
    conn, log = _recording(tmp_path)
    conn.row_factory = sqlite3.Row
    try:
        send_facts(conn, NOW, WINDOW_S)
        last_failure_since(conn, NOW - timedelta(hours=1))
        first_unanswered_send(conn, NOW - timedelta(minutes=5), NOW)
        flow_counts(conn, 1, NOW - timedelta(hours=1), NOW)
        reads = [s for s in log.entries if "FROM message_attempts" in s.sql]
        assert len(reads) >= 5
        for s in reads:
            plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + s.sql, s.params))
            assert "INDEX message_attempts_finished" in plan, (s.sql, plan)
    finally:
        conn.close()


def test_the_whatsapp_fault_facts_read_a_window_of_time_first(tmp_path: Path) -> None:
    """The throttle and closed-window facts join attempts and statuses to their messages:
    each query's outer loop is the window of time, never every message of a kind (which
    took 6 s a reading at 1 M messages and held a snapshot that kept the log from being
    copied back)."""
    conn, log = _recording(tmp_path)
    try:
        throttle_facts(conn, NOW)
        reads = list(log.entries)
        assert len(reads) >= 5
        for s in reads:
            plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + s.sql, s.params)]
            outer = next(p for p in plan if p.startswith(("SEARCH", "SCAN")))
            assert "_finished (" in outer or "_received (" in outer, (s.sql, plan)
    finally:
        conn.close()
