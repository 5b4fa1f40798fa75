"""Operator queries and actions on messages (jobs): list, timeline, retry, discard."""

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


def list_messages(
    conn: sqlite3.Connection,
    *,
    state: str | None,
    kind: str | None,
    day_start: str | None,
    day_end: str | None,
    phone: str | None,
    before: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, kind, state, appointment_id, to_number, wa_id, wamid, created_at, "
        "updated_at, due_at, attempts, reason_code, reason_json, dry_run FROM messages "
        "WHERE (:state IS NULL OR state = :state) AND (:kind IS NULL OR kind = :kind) "
        "AND (:day_start IS NULL OR created_at >= :day_start) "
        "AND (:day_end IS NULL OR created_at < :day_end) "
        "AND (:phone IS NULL OR wa_id = :phone) "
        "AND (:before IS NULL OR created_at || id < :before) "
        "ORDER BY created_at DESC, id DESC LIMIT :limit",
        {
            "state": state,
            "kind": kind,
            "day_start": day_start,
            "day_end": day_end,
            "phone": phone,
            "before": before,
            "limit": limit,
        },
    ).fetchall()
    return [_message(r) for r in rows]


def _message(r: sqlite3.Row) -> dict[str, Any]:
    item = dict(r)
    item["reason"] = json.loads(item.pop("reason_json")) if item.get("reason_json") else None
    item["dry_run"] = bool(item["dry_run"])
    return item


def message_detail(conn: sqlite3.Connection, message_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        return None
    message = _message(row)
    attempts = [
        {
            **{
                k: a[k]
                for k in (
                    "n",
                    "started_at",
                    "finished_at",
                    "to_number",
                    "outcome",
                    "http_status",
                    "error_code",
                    "wamid",
                )
            },
            "dry_run": bool(a["dry_run"]),
            "request": _summary(json.loads(a["request_json"])),
            "answer": json.loads(a["answer_json"]) if a["answer_json"] else None,
        }
        for a in conn.execute(
            "SELECT * FROM message_attempts WHERE message_id = ? ORDER BY n", (message_id,)
        )
    ]
    statuses = [
        dict(s)
        for s in conn.execute(
            "SELECT status, ts, outcome, ignored_reason, errors_json, received_at "
            "FROM message_statuses WHERE message_id = ? OR (wamid = ? AND wamid IS NOT NULL) "
            "ORDER BY ts, id",
            (message_id, message["wamid"]),
        )
    ]
    return {"message": message, "attempts": attempts, "statuses": statuses}


def _summary(request: dict[str, Any]) -> dict[str, Any]:
    """What was asked of Meta, without repeating the whole body on the page."""
    if request.get("type") == "template":
        t = request.get("template", {})
        body: dict[str, Any] = next(
            (c for c in t.get("components", []) if c.get("type") == "body"), {}
        )
        return {
            "to": request.get("to"),
            "type": "template",
            "template": t.get("name"),
            "language": (t.get("language") or {}).get("code"),
            "params": [p.get("text") for p in body.get("parameters", [])],
        }
    return {
        "to": request.get("to"),
        "type": request.get("type"),
        "text": (request.get("text") or {}).get("body"),
    }


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


def message_actions(
    conn: sqlite3.Connection, message_id: str, now: datetime
) -> dict[str, dict[str, Any]]:
    """Which operator actions the message's page may offer, and why not when it may not."""
    row, apt = appointment_facts(conn, message_id)
    if row is None:
        return {}
    retry = retry_verdict(row["state"], row["kind"], apt, now)
    discard = discard_verdict(row["state"])
    return {
        "retry": {"allowed": retry.ok, "reason": retry.reason},
        "discard": {"allowed": discard.ok, "reason": discard.reason},
    }


def messages_by_state(conn: sqlite3.Connection, start: str, end: str) -> dict[str, int]:
    """Messages created in [start, end) by their state now (the daily report)."""
    rows = conn.execute(
        "SELECT state, COUNT(*) AS n FROM messages WHERE created_at >= ? AND created_at < ? "
        "GROUP BY state ORDER BY state",
        (start, end),
    ).fetchall()
    return {r["state"]: r["n"] for r in rows}
