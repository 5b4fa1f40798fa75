"""Operator actions on messages (jobs): retry and discard, decided by ``rules/message_retry``."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import iso, parse_iso
from recado.rules import message_reasons
from recado.rules.message_retry import discard_verdict, retry_due_at, retry_verdict
from recado.rules.send_policy import AppointmentFacts
from recado.storage.audit import record_audit


def appointment_facts(
    conn: sqlite3.Connection, message_id: str
) -> tuple[sqlite3.Row | None, AppointmentFacts | None]:
    """The message's row and its appointment as it stands now (None when it has none)."""
    row = conn.execute(
        "SELECT m.id, m.state, m.kind, m.starts_at AS job_starts_at, a.status AS apt_status, "
        "a.starts_at AS apt_starts_at FROM messages m "
        "LEFT JOIN appointments a ON a.id = m.appointment_id WHERE m.id = ?",
        (message_id,),
    ).fetchone()
    if row is None or row["apt_status"] is None:
        return row, None
    try:
        job_starts = parse_iso(row["job_starts_at"]) if row["job_starts_at"] else None
        starts = parse_iso(row["apt_starts_at"])
    except ValueError:
        # A time stored unreadable (before inputs were bounded) must not fail the page; the
        # sender cannot read it either, so a retry fails again with the reason, never sends.
        return row, None
    return row, AppointmentFacts(row["apt_status"], starts, job_starts)


def act_on_message(
    conn: sqlite3.Connection,
    action: str,
    message_id: str,
    now: datetime,
    reminder_hours_before: float,
    source_ip: str,
) -> dict[str, Any]:
    """An operator's retry or discard, decided by ``rules/message_retry`` and audited in the
    same transaction. Returns ``outcome`` not_found | refused (with ``reason``) | done."""
    row, apt = appointment_facts(conn, message_id)
    if row is None:
        return {"outcome": "not_found"}
    before = str(row["state"])
    if action == "retry":
        verdict = retry_verdict(before, row["kind"], apt, now)
    else:
        verdict = discard_verdict(before)
    if not verdict.ok:
        return {"outcome": "refused", "state": before, "reason": verdict.reason}
    if action == "retry":
        starts_at = apt.starts_at if apt is not None else None
        due = retry_due_at(row["kind"], starts_at, reminder_hours_before, now)
        conn.execute(
            "UPDATE messages SET state = 'queued', due_at = ?, attempts = 0, reason_code = "
            "'operator_retry', reason_json = NULL, updated_at = ? WHERE id = ?",
            (iso(due), iso(now), message_id),
        )
        after, detail = "queued", {"from": before, "to": "queued", "due_at": iso(due)}
    else:
        reason = message_reasons.reason("discarded")
        conn.execute(
            "UPDATE messages SET state = 'canceled', reason_code = 'discarded', reason_json = ?, "
            "updated_at = ? WHERE id = ?",
            (json.dumps(reason, ensure_ascii=False), iso(now), message_id),
        )
        after, detail = "canceled", {"from": before, "to": "canceled"}
    record_audit(conn, now, f"messages.{action}", message_id, source_ip, "operator", detail)
    return {"outcome": "done", "state": after, "previous_state": before, **detail}
