"""The counters the dashboard and the daily report read (``daily_counts``, kept by the
triggers of migration 0013) say what counting the rows themselves says, whatever the order
of inserts and state changes, on any day in any zone; and an install upgraded to 0013 with
rows already there counts them once."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recado.storage import counts
from recado.storage.connections import connect_writer
from recado.storage.migrate import _statements, available, migrate

Counts = dict[str, dict[str, int]]
# The migration that brought the counters: an upgrade runs it over rows already there.
_OURS = "0012_pages_at_scale.sql"
_ORIGIN = datetime(2026, 3, 7, tzinfo=UTC)
DELIVERY_STATES = ("pending", "retrying", "done", "dead", "archived")
MESSAGE_STATES = ("queued", "sending", "sent", "delivered", "read", "failed", "skipped")
SYNC_STATUSES = ("running", "done", "failed")


def _iso(minutes: int) -> str:
    return (
        (_ORIGIN + timedelta(minutes=minutes, seconds=minutes % 59))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _raw(conn: sqlite3.Connection, start: str, end: str) -> Counts:
    """The day's counts from the rows (the queries the pages ran before the counters)."""
    found: Counts = {}

    def put(metric: str, key: str, n: int) -> None:
        if n:
            found.setdefault(metric, {})[key] = n

    for outcome, n in conn.execute(
        "SELECT CASE WHEN dead > 0 THEN 'failed' WHEN open > 0 THEN 'pending' "
        "ELSE 'processed' END, COUNT(*) FROM (SELECT e.id, "
        " COALESCE(SUM(d.state IN ('pending', 'retrying')), 0) AS open, "
        " COALESCE(SUM(d.state IN ('dead', 'archived')), 0) AS dead "
        " FROM events e LEFT JOIN deliveries d ON d.event_id = e.id "
        " WHERE e.received_at >= ? AND e.received_at < ? GROUP BY e.id) GROUP BY 1",
        (start, end),
    ):
        put("event", outcome, n)
    for table, metric, key, at in (
        ("deliveries", "delivery", "state", "created_at"),
        ("deliveries", "dead_letter", "''", "dead_at"),
        ("(SELECT * FROM messages WHERE dry_run = 0)", "message", "state", "created_at"),
        ("(SELECT * FROM messages WHERE dry_run = 1)", "message_dry_run", "state", "created_at"),
        ("sync_runs", "sync_run", "status || ':' || job", "started_at"),
        ("webhook_inbox", "inbox", "''", "received_at"),
        ("webhook_rejects", "reject", "''", "received_at"),
    ):
        for k, n in conn.execute(
            f"SELECT {key}, COUNT(*) FROM {table} WHERE {at} >= ? AND {at} < ? GROUP BY 1",
            (start, end),
        ):
            put(metric, k, n)
    for k, n in conn.execute(
        "SELECT COALESCE(pricing_category, 'unknown'), COUNT(*) FROM messages "
        "WHERE pricing_billable = 1 AND priced_at >= ? AND priced_at < ? GROUP BY 1",
        (start, end),
    ):
        put("billable", k, n)
    return found


_op = st.one_of(
    st.tuples(st.just("event"), st.integers(0, 4000)),
    st.tuples(
        st.just("delivery"),
        st.integers(0, 3),
        st.sampled_from(DELIVERY_STATES),
        st.integers(0, 4000),
        st.booleans(),
    ),
    st.tuples(
        st.just("delivery_state"),
        st.integers(0, 3),
        st.sampled_from(DELIVERY_STATES),
        st.one_of(st.none(), st.integers(0, 4000)),
    ),
    st.tuples(st.just("message"), st.sampled_from(MESSAGE_STATES), st.integers(0, 4000)),
    st.tuples(st.just("message_state"), st.integers(0, 3), st.sampled_from(MESSAGE_STATES)),
    st.tuples(
        st.just("message_priced"),
        st.integers(0, 3),
        st.sampled_from((None, 0, 1)),
        st.sampled_from((None, "utility", "marketing")),
        st.integers(0, 4000),
    ),
    st.tuples(st.just("message_dry_run"), st.integers(0, 3), st.booleans()),
    st.tuples(
        st.just("sync"),
        st.sampled_from(("a", "b")),
        st.sampled_from(SYNC_STATUSES),
        st.integers(0, 4000),
    ),
    st.tuples(st.just("sync_status"), st.integers(0, 3), st.sampled_from(SYNC_STATUSES)),
    st.tuples(st.just("inbox"), st.integers(0, 4000)),
    st.tuples(st.just("reject"), st.integers(0, 4000)),
)


def _pick(conn: sqlite3.Connection, table: str, i: int) -> object | None:
    row = conn.execute(
        f"SELECT id FROM {table} ORDER BY id LIMIT 1 OFFSET "
        f"(? % MAX(1, (SELECT COUNT(*) FROM {table})))",
        (i,),
    ).fetchone()
    return None if row is None else row[0]


def _apply(conn: sqlite3.Connection, ops: list[tuple[object, ...]], tag: str = "") -> None:
    for i, op in enumerate(ops):
        n = f"{tag}{i}"
        match op:
            case ("event", int(t)):
                conn.execute(
                    "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, "
                    "received_at) VALUES (?, 'appointment.created', ?, '{}', '', ?)",
                    (f"e{n}", _iso(t), _iso(t)),
                )
            case ("delivery", int(i), str(state), int(t), bool(dead)):
                event = _pick(conn, "events", i)
                if event is not None:
                    conn.execute(
                        "INSERT OR IGNORE INTO deliveries(event_id, action, state, "
                        "next_attempt_at, created_at, updated_at, dead_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            event,
                            f"a{n}",
                            state,
                            _iso(t),
                            _iso(t),
                            _iso(t),
                            _iso(t + 90) if dead else None,
                        ),
                    )
            case ("delivery_state", int(i), str(state), dead):
                conn.execute(
                    "UPDATE deliveries SET state = ?, dead_at = ? WHERE id = ?",
                    (
                        state,
                        None if dead is None else _iso(int(dead)),
                        _pick(conn, "deliveries", i),
                    ),
                )
            case ("message", str(state), int(t)):
                conn.execute(
                    "INSERT INTO messages(id, kind, state, created_at, updated_at) "
                    "VALUES (?, 'reminder', ?, ?, ?)",
                    (f"m{n}", state, _iso(t), _iso(t)),
                )
            case ("message_state", int(i), str(state)):
                conn.execute(
                    "UPDATE messages SET state = ? WHERE id = ?",
                    (state, _pick(conn, "messages", i)),
                )
            case ("message_priced", int(i), billable, category, int(t)):
                # As storage/status_effects.keep_pricing does: the earliest priced time wins.
                conn.execute(
                    "UPDATE messages SET pricing_billable = COALESCE(?, pricing_billable), "
                    "pricing_category = COALESCE(?, pricing_category), priced_at = CASE "
                    "WHEN priced_at IS NULL OR ? < priced_at THEN ? ELSE priced_at END "
                    "WHERE id = ?",
                    (billable, category, _iso(t), _iso(t), _pick(conn, "messages", i)),
                )
            case ("message_dry_run", int(i), bool(dry)):
                conn.execute(
                    "UPDATE messages SET dry_run = ? WHERE id = ?",
                    (int(dry), _pick(conn, "messages", i)),
                )
            case ("sync", str(job), str(status), int(t)):
                conn.execute(
                    "INSERT INTO sync_runs(job, trigger, started_at, status) "
                    "VALUES (?, 'schedule', ?, ?)",
                    (job, _iso(t), status),
                )
            case ("sync_status", int(i), str(status)):
                conn.execute(
                    "UPDATE sync_runs SET status = ? WHERE id = ?",
                    (status, _pick(conn, "sync_runs", i)),
                )
            case ("inbox", int(t)):
                conn.execute(
                    "INSERT INTO webhook_inbox(received_at, body, body_sha256) "
                    "VALUES (?, x'7b7d', '')",
                    (_iso(t),),
                )
            case ("reject", int(t)):
                conn.execute(
                    "INSERT INTO webhook_rejects(received_at, reason, detail, body) "
                    "VALUES (?, 'not_whatsapp', '', x'')",
                    (_iso(t),),
                )


def _days() -> list[tuple[str, str]]:
    """The days the ops fall on, in UTC and in zones west and east of it (quarter-hour
    offsets included)."""
    found = []
    for offset in (0, -3 * 60, 5 * 60 + 45, 12 * 60 + 45):
        for d in range(-1, 5):
            start = _ORIGIN + timedelta(days=d, minutes=-offset)
            found.append((_iso_at(start), _iso_at(start + timedelta(days=1))))
    return found


def _iso_at(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _assert_counts_agree(conn: sqlite3.Connection) -> None:
    for start, end in _days():
        assert counts.day_counts(conn, start, end) == _raw(conn, start, end), (start, end)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(_op, min_size=10, max_size=80))
def test_the_counters_agree_with_the_rows_after_any_writes(ops: list[tuple[object, ...]]) -> None:
    conn = connect_writer(Path(":memory:"))
    try:
        migrate(conn)
        _apply(conn, ops)
        _assert_counts_agree(conn)
    finally:
        conn.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(_op, max_size=40), after=st.lists(_op, max_size=20))
def test_an_upgraded_install_counts_its_rows_once(
    before: list[tuple[object, ...]], after: list[tuple[object, ...]]
) -> None:
    """Rows written under the schema before 0012, then the upgrade, then more writes."""
    conn = connect_writer(Path(":memory:"))
    try:
        ours = [m.name for m in available()].index(_OURS)
        for mig in available()[:ours]:
            for statement in _statements(mig.sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, 'x')", (mig.version, mig.name))
        _apply(conn, before)
        migrate(conn)
        _assert_counts_agree(conn)
        _apply(conn, after, tag="late")
        _assert_counts_agree(conn)
    finally:
        conn.close()
