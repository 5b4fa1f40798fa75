"""The counts the dashboard, ``/metrics`` and the daily report show: events by outcome,
the hub's queues, deliveries and messages of a day. Times are ISO strings, ``[start, end)``."""

from __future__ import annotations

import sqlite3

import msgspec


class EventOutcomes(msgspec.Struct, frozen=True, kw_only=True):
    """Events received in a span: processed (every delivery done), failed (a delivery dead,
    or archived by an operator); the rest are still pending."""

    total: int
    processed: int
    failed: int


class HubCounts(msgspec.Struct, frozen=True, kw_only=True):
    pending_events: int  # events with a delivery still pending or retrying
    retry_total: int
    retry_ready: int  # retrying deliveries already due
    dead_total: int


class DeliveryReport(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    success: int
    dead_letter_added: int


_EVENT_OUTCOMES = (
    "SELECT COUNT(*) AS total, "
    " COALESCE(SUM(dead > 0), 0) AS failed, "
    " COALESCE(SUM(open = 0 AND dead = 0), 0) AS processed FROM ("
    "  SELECT e.id, COALESCE(SUM(d.state IN ('pending', 'retrying')), 0) AS open, "
    "   COALESCE(SUM(d.state IN ('dead', 'archived')), 0) AS dead "
    "  FROM events e LEFT JOIN deliveries d ON d.event_id = e.id "
    "  WHERE e.received_at >= ? AND e.received_at < ? GROUP BY e.id)"
)


def event_outcomes(conn: sqlite3.Connection, start: str, end: str) -> EventOutcomes:
    row = conn.execute(_EVENT_OUTCOMES, (start, end)).fetchone()
    return EventOutcomes(total=row["total"], processed=row["processed"], failed=row["failed"])


def hub_counts(conn: sqlite3.Connection, now: str) -> HubCounts:
    pending = conn.execute(
        "SELECT COUNT(DISTINCT event_id) FROM deliveries WHERE state IN ('pending', 'retrying')"
    ).fetchone()[0]
    retry = conn.execute(
        "SELECT COUNT(*) AS total, COALESCE(SUM(next_attempt_at <= ?), 0) AS ready "
        "FROM deliveries WHERE state = 'retrying'",
        (now,),
    ).fetchone()
    dead = conn.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'dead'").fetchone()[0]
    return HubCounts(
        pending_events=pending,
        retry_total=retry["total"],
        retry_ready=retry["ready"],
        dead_total=dead,
    )


def delivery_report(conn: sqlite3.Connection, start: str, end: str) -> DeliveryReport:
    row = conn.execute(
        "SELECT COUNT(*) AS total, COALESCE(SUM(state = 'done'), 0) AS success "
        "FROM deliveries WHERE created_at >= ? AND created_at < ?",
        (start, end),
    ).fetchone()
    dead = conn.execute(
        "SELECT COUNT(*) FROM deliveries WHERE dead_at >= ? AND dead_at < ?", (start, end)
    ).fetchone()[0]
    return DeliveryReport(total=row["total"], success=row["success"], dead_letter_added=dead)


def messages_by_state(
    conn: sqlite3.Connection, start: str, end: str, dry_run: bool = False
) -> dict[str, int]:
    """Messages created in [start, end) by their state now (the daily report): those that
    went through a dry run (recorded, never sent) with ``dry_run``, the others without, so
    a simulated send is never counted as one that reached a client."""
    rows = conn.execute(
        "SELECT state, COUNT(*) AS n FROM messages WHERE created_at >= ? AND created_at < ? "
        "AND dry_run = ? GROUP BY state ORDER BY state",
        (start, end, int(dry_run)),
    ).fetchall()
    return {r["state"]: r["n"] for r in rows}
