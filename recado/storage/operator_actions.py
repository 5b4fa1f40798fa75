"""Operator actions that change rows, each written with its audit row in one transaction:
the action and the record of who did it are durable together or not at all.

(Message retry/discard (``messages.act_on_message``) and the retry of a set-aside sync item
(``sync.record_item_retry``) audit inside their own write functions the same way.)
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import msgspec

from recado.rules.breaker import Breaker
from recado.storage import deliveries as dq
from recado.storage.audit import record_audit
from recado.storage.deliveries import save_breaker
from recado.storage.settings import KILL_SWITCH, set_setting

OPERATOR = "operator"


class DlqOutcome(msgspec.Struct, frozen=True, kw_only=True):
    outcome: str  # queued | archived | not_found | wrong_state
    event_id: str | None = None
    state: str | None = None  # what the delivery is when it was not in the DLQ


def set_kill_switch(conn: sqlite3.Connection, on: bool, now: datetime, source_ip: str) -> None:
    set_setting(conn, KILL_SWITCH, on, now)
    record_audit(
        conn, now, "whatsapp.kill_switch", "on" if on else "off", source_ip, OPERATOR, {"on": on}
    )


def retry_dead_delivery(
    conn: sqlite3.Connection, delivery_id: int, now: datetime, source_ip: str
) -> DlqOutcome:
    """Back to pending with the attempt count reset (the history stays); DLQ items only."""
    return _audited(
        conn, dq.dlq_retry(conn, delivery_id, now), "dlq.retry", delivery_id, now, source_ip
    )


def archive_dead_delivery(
    conn: sqlite3.Connection, delivery_id: int, now: datetime, source_ip: str
) -> DlqOutcome:
    return _audited(
        conn, dq.dlq_archive(conn, delivery_id, now), "dlq.archive", delivery_id, now, source_ip
    )


def _audited(
    conn: sqlite3.Connection,
    result: dict[str, Any],
    action: str,
    delivery_id: int,
    now: datetime,
    source_ip: str,
) -> DlqOutcome:
    outcome = DlqOutcome(
        outcome=result["outcome"], event_id=result.get("event_id"), state=result.get("state")
    )
    if outcome.outcome in ("queued", "archived"):
        detail = {"event_id": outcome.event_id}
        record_audit(conn, now, action, str(delivery_id), source_ip, OPERATOR, detail)
    return outcome


def reset_breaker(
    conn: sqlite3.Connection,
    service: str,
    before: Breaker,
    after: Breaker,
    now: datetime,
    source_ip: str,
) -> None:
    """A service's breaker closed by hand: its new state and the audit row together."""
    save_breaker(conn, service, after, now)
    detail = {"from": before.state, "failure_count": before.failure_count}
    record_audit(conn, now, "breaker.reset", service, source_ip, OPERATOR, detail)
