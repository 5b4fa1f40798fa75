"""What the incident rules read from the database: the send attempts and webhooks of the last
minutes (for the triggers and the closing check) and the counts an incident's timeline keeps.

A send *failure* is a real attempt (not dry run) that did not end with Meta's acceptance: a
refusal, a connection that never carried it, an unknown outcome. Window closed (131047) is
the 24 h rule doing its job, not a failure. A *Graph failure* is the kind that says Meta's
side is unwell: a 5xx, a timeout, no connection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from recado.clock import iso, parse_iso

# Facts older than this never matter to a rule: it bounds every scan.
HORIZON = timedelta(days=2)
# Each query below reads a window of time through the finished_at index. The unary + keeps
# the outcome index (outcome, dry_run, id) out: through it a query reads every attempt of
# that outcome ever made, a year of them on a year-old install (bench/pages_at_scale.py).
_FAILED = (
    "+dry_run = 0 AND (+outcome IN ('not_sent', 'unknown') OR "
    "(+outcome = 'rejected' AND COALESCE(error_code, 0) != 131047))"
)
_GRAPH_FAILED = (
    "+dry_run = 0 AND (+outcome IN ('not_sent', 'unknown') OR "
    "(+outcome = 'rejected' AND COALESCE(http_status, 0) >= 500))"
)
# Meta answered: whatever it said, its API is reachable and well.
_GRAPH_ANSWERED = (
    "+dry_run = 0 AND (+outcome = 'sent' OR "
    "(+outcome = 'rejected' AND COALESCE(http_status, 0) BETWEEN 1 AND 499))"
)


def _dt(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


@dataclass(frozen=True)
class SendFacts:
    last_webhook_at: datetime | None
    first_unanswered_send_at: datetime | None
    graph_failing_since: datetime | None
    graph_last_failure_at: datetime | None
    graph_streak_failures: int
    window_sends: int
    window_failures: int
    window_first_failure_at: datetime | None
    # Of the streak, the sends that got no answer at all (the client's timeout, dropped).
    graph_streak_timeouts: int = 0


def last_webhook_at(conn: sqlite3.Connection) -> datetime | None:
    return _dt(conn.execute("SELECT MAX(received_at) FROM webhook_inbox").fetchone()[0])


def first_unanswered_send(
    conn: sqlite3.Connection, last_webhook: datetime | None, now: datetime
) -> datetime | None:
    """The first real send Meta accepted after the newest webhook."""
    floor = max(last_webhook, now - HORIZON) if last_webhook else now - HORIZON
    row = conn.execute(
        "SELECT MIN(finished_at) FROM message_attempts WHERE finished_at > ? "
        "AND +outcome = 'sent' AND +dry_run = 0",
        (iso(floor),),
    ).fetchone()
    return _dt(row[0])


def send_facts(conn: sqlite3.Connection, now: datetime, failure_window_s: float) -> SendFacts:
    horizon = iso(now - HORIZON)
    webhook = last_webhook_at(conn)
    answered = conn.execute(
        "SELECT MAX(finished_at) FROM message_attempts "
        f"WHERE finished_at >= ? AND {_GRAPH_ANSWERED}",
        (horizon,),
    ).fetchone()[0]
    streak = conn.execute(
        "SELECT COUNT(*), MIN(finished_at), MAX(finished_at), "
        "COALESCE(SUM(+outcome = 'unknown'), 0) FROM message_attempts "
        f"WHERE finished_at > ? AND {_GRAPH_FAILED}",
        (answered or horizon,),
    ).fetchone()
    window = conn.execute(
        "SELECT COUNT(*) AS n, "
        f" COALESCE(SUM({_FAILED}), 0) AS failed, "
        f" MIN(CASE WHEN {_FAILED} THEN finished_at END) AS first_failed "
        "FROM message_attempts WHERE finished_at >= ? AND +dry_run = 0",
        (iso(now - timedelta(seconds=failure_window_s)),),
    ).fetchone()
    return SendFacts(
        last_webhook_at=webhook,
        first_unanswered_send_at=first_unanswered_send(conn, webhook, now),
        graph_failing_since=_dt(streak[1]),
        graph_last_failure_at=_dt(streak[2]),
        graph_streak_failures=int(streak[0]),
        window_sends=int(window["n"]),
        window_failures=int(window["failed"]),
        window_first_failure_at=_dt(window["first_failed"]),
        graph_streak_timeouts=int(streak[3]),
    )


def last_failure_since(conn: sqlite3.Connection, since: datetime) -> datetime | None:
    row = conn.execute(
        f"SELECT MAX(finished_at) FROM message_attempts WHERE finished_at >= ? AND {_FAILED}",
        (iso(since),),
    ).fetchone()
    return _dt(row[0])


@dataclass(frozen=True)
class FlowCounts:
    sends_accepted: int
    send_failures: int
    webhooks: int
    contingency_replies: int

    def as_json(self) -> dict[str, int]:
        return {
            "sends_accepted": self.sends_accepted,
            "send_failures": self.send_failures,
            "webhooks": self.webhooks,
            "contingency_replies": self.contingency_replies,
        }


def flow_counts(
    conn: sqlite3.Connection, incident_id: int, since: datetime, until: datetime
) -> FlowCounts:
    """What went through between two instants, for the incident's timeline."""
    span = (iso(since), iso(until))
    sends = conn.execute(
        "SELECT COALESCE(SUM(outcome IN ('sent', 'dry_run')), 0), "
        f" COALESCE(SUM({_FAILED}), 0) FROM message_attempts "
        "WHERE finished_at >= ? AND finished_at < ?",
        span,
    ).fetchone()
    webhooks = conn.execute(
        "SELECT COUNT(*) FROM webhook_inbox WHERE received_at >= ? AND received_at < ?", span
    ).fetchone()[0]
    replies = conn.execute(
        "SELECT COUNT(*) FROM contingency_replies WHERE incident_id = ? AND planned_at >= ? "
        "AND planned_at < ?",
        (incident_id, *span),
    ).fetchone()[0]
    return FlowCounts(int(sends[0]), int(sends[1]), int(webhooks), int(replies))
