"""The counts the dashboard, ``/metrics`` and the daily report show: events by outcome,
the hub's queues, deliveries and messages of a day. Times are ISO strings, ``[start, end)``.

A day's counts come from ``daily_counts`` (migration 0013): counters per quarter hour that
triggers keep in the transaction of the rows they count, so reading a day costs the same
however many rows it had, and a day whose rows retention deleted still answers. A day in
the studio's zone starts and ends on a quarter hour in every zone."""

from __future__ import annotations

import sqlite3

import msgspec

from recado.storage.live_counts import DEAD_DELIVERIES, live_count


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


def bucket(instant: str) -> str:
    """The quarter hour ``instant`` (an ISO string on a quarter hour) starts."""
    return instant[:16]


def day_counts(conn: sqlite3.Connection, start: str, end: str) -> dict[str, dict[str, int]]:
    """Every counter of ``[start, end)``, by metric then key."""
    rows = conn.execute(
        "SELECT metric, key, SUM(n) AS n FROM daily_counts WHERE bucket >= ? AND bucket < ? "
        "GROUP BY metric, key",
        (bucket(start), bucket(end)),
    ).fetchall()
    found: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["n"]:
            found.setdefault(r["metric"], {})[r["key"]] = int(r["n"])
    return found


def outcomes_of(counts: dict[str, dict[str, int]]) -> EventOutcomes:
    events = counts.get("event", {})
    return EventOutcomes(
        total=sum(events.values()),
        processed=events.get("processed", 0),
        failed=events.get("failed", 0),
    )


def event_outcomes(conn: sqlite3.Connection, start: str, end: str) -> EventOutcomes:
    return outcomes_of(day_counts(conn, start, end))


def hub_counts(conn: sqlite3.Connection, now: str) -> HubCounts:
    pending = conn.execute(
        "SELECT COUNT(DISTINCT event_id) FROM deliveries WHERE state IN ('pending', 'retrying')"
    ).fetchone()[0]
    retry = conn.execute(
        "SELECT COUNT(*) AS total, COALESCE(SUM(next_attempt_at <= ?), 0) AS ready "
        "FROM deliveries WHERE state = 'retrying'",
        (now,),
    ).fetchone()
    dead = live_count(conn, DEAD_DELIVERIES)
    return HubCounts(
        pending_events=pending,
        retry_total=retry["total"],
        retry_ready=retry["ready"],
        dead_total=dead,
    )


def delivery_report(conn: sqlite3.Connection, start: str, end: str) -> DeliveryReport:
    return delivery_report_of(day_counts(conn, start, end))


def delivery_report_of(counts: dict[str, dict[str, int]]) -> DeliveryReport:
    deliveries = counts.get("delivery", {})
    return DeliveryReport(
        total=sum(deliveries.values()),
        success=deliveries.get("done", 0),
        dead_letter_added=counts.get("dead_letter", {}).get("", 0),
    )


def messages_by_state(
    conn: sqlite3.Connection, start: str, end: str, dry_run: bool = False
) -> dict[str, int]:
    """Messages created in [start, end) by their state now (the daily report)."""
    return messages_of(day_counts(conn, start, end), dry_run)


def messages_of(counts: dict[str, dict[str, int]], dry_run: bool = False) -> dict[str, int]:
    """By state: the messages that went through a dry run (recorded, never sent) with
    ``dry_run``, the others without, so a simulated send never counts as one that reached a
    client."""
    return dict(sorted(counts.get("message_dry_run" if dry_run else "message", {}).items()))


def sync_runs_of(counts: dict[str, dict[str, int]]) -> dict[str, tuple[int, int]]:
    """Per job: runs started, and how many of them are done."""
    jobs: dict[str, tuple[int, int]] = {}
    for key, n in sorted(counts.get("sync_run", {}).items()):
        status, _, job = key.partition(":")
        total, done = jobs.get(job, (0, 0))
        jobs[job] = (total + n, done + (n if status == "done" else 0))
    return jobs


def billable_by_category(conn: sqlite3.Connection, start: str, end: str) -> dict[str, int]:
    """Messages Meta priced as billable in [start, end) (by their first priced status), per
    pricing category (the daily report); a billable message without one counts as
    ``unknown``. From the counters, so a day's figure outlives its rows (retention)."""
    return billable_of(day_counts(conn, start, end))


def billable_of(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    return dict(sorted(counts.get("billable", {}).items()))
