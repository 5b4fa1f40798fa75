"""What the operator pages read about messages (jobs): the filtered list, one message with
its attempts and Meta's statuses, and which actions it allows now."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

import msgspec

from recado.rules.message_retry import discard_verdict, retry_verdict
from recado.storage.messages import appointment_facts


class MessageListItem(msgspec.Struct, frozen=True, kw_only=True):
    """A message as the list shows it; ``reason`` is the stored pt-BR/English reason."""

    id: str
    kind: str
    state: str
    appointment_id: str | None
    to_number: str | None
    wa_id: str | None
    wamid: str | None
    created_at: str
    updated_at: str
    due_at: str | None
    attempts: int
    reason_code: str | None
    reason: dict[str, Any] | None  # a code with its parameters (rules/message_reasons.py)
    dry_run: bool
    # A null "reason_json" beside a null "reason": the JSON of the list and the message page
    # always carried it for a message without a reason (and left it out otherwise).
    reason_json: msgspec.UnsetType | None = msgspec.UNSET


class MessageRecord(MessageListItem, frozen=True, kw_only=True):
    """Every column of a message, for its own page."""

    starts_at: str | None
    state_ts: int | None
    event_id: str | None
    text_body: str | None
    inbound_wamid: str | None
    params_json: str | None


class MessageAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One send attempt: what was asked of Meta (summarised) and its answer, verbatim."""

    n: int
    started_at: str
    finished_at: str | None
    to_number: str
    outcome: str  # in_flight | sent | dry_run | rejected | not_sent | unknown
    http_status: int | None
    error_code: int | None
    wamid: str | None
    dry_run: bool
    request: dict[str, Any]
    answer: Any


class MessageStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A status webhook for the message, applied or kept on the timeline as ignored."""

    status: str
    ts: int
    outcome: str  # applied | ignored | pending
    ignored_reason: str | None
    received_at: str


class MessageDetail(msgspec.Struct, frozen=True, kw_only=True):
    message: MessageRecord
    attempts: list[MessageAttempt]
    statuses: list[MessageStatus]


class ActionVerdict(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    reason: str | None


_LIST_COLUMNS = (
    "id, kind, state, appointment_id, to_number, wa_id, wamid, created_at, updated_at, due_at, "
    "attempts, reason_code, reason_json, dry_run"
)
_RECORD_COLUMNS = (
    f"{_LIST_COLUMNS}, starts_at, state_ts, event_id, text_body, inbound_wamid, params_json"
)


# The end of time for a first page: every stored instant sorts before it.
_NEWEST = ("9999", "")


def list_messages(
    conn: sqlite3.Connection,
    *,
    state: str | None,
    kind: str | None,
    day_start: str | None,
    day_end: str | None,
    phone: str | None,
    before: tuple[str, str] | None,
    limit: int,
) -> list[MessageListItem]:
    """Newest first from ``before`` (the created_at and id of the last row of the previous
    page). Only the filters asked for are in the statement, and the page boundary is a
    row-value comparison: an index on (filter, created_at, id) serves each alone."""
    where, params = ["(created_at, id) < (?, ?)"], list(before or _NEWEST)
    for column, value in (("state", state), ("kind", kind), ("wa_id", phone)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if day_start is not None:
        where.append("created_at >= ?")
        params.append(day_start)
    if day_end is not None:
        where.append("created_at < ?")
        params.append(day_end)
    rows = conn.execute(
        f"SELECT {_LIST_COLUMNS} FROM messages WHERE {' AND '.join(where)} "
        "ORDER BY created_at DESC, id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [MessageListItem(**_columns(r)) for r in rows]


def _columns(r: sqlite3.Row) -> dict[str, Any]:
    item = dict(r)
    raw_reason = item.pop("reason_json")
    item["reason"] = json.loads(raw_reason) if raw_reason else None
    if not raw_reason:
        item["reason_json"] = None
    item["dry_run"] = bool(item["dry_run"])
    return item


def message_detail(conn: sqlite3.Connection, message_id: str) -> MessageDetail | None:
    row = conn.execute(
        f"SELECT {_RECORD_COLUMNS} FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if row is None:
        return None
    message = MessageRecord(**_columns(row))
    attempts = [
        MessageAttempt(
            n=a["n"],
            started_at=a["started_at"],
            finished_at=a["finished_at"],
            to_number=a["to_number"],
            outcome=a["outcome"],
            http_status=a["http_status"],
            error_code=a["error_code"],
            wamid=a["wamid"],
            dry_run=bool(a["dry_run"]),
            request=_summary(json.loads(a["request_json"])),
            answer=json.loads(a["answer_json"]) if a["answer_json"] else None,
        )
        for a in conn.execute(
            "SELECT * FROM message_attempts WHERE message_id = ? ORDER BY n", (message_id,)
        )
    ]
    statuses = [
        MessageStatus(**dict(s))
        for s in conn.execute(
            "SELECT status, ts, outcome, ignored_reason, received_at "
            "FROM message_statuses WHERE message_id = ? OR wamid = ? ORDER BY ts, id",
            (message_id, message.wamid),
        )
    ]
    return MessageDetail(message=message, attempts=attempts, statuses=statuses)


def _summary(request: dict[str, Any]) -> dict[str, Any]:
    """What was asked of Meta, without repeating the whole body on the page."""
    if request.get("type") == "template":
        t: dict[str, Any] = request.get("template", {})
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


def message_actions(
    conn: sqlite3.Connection, message_id: str, now: datetime
) -> dict[str, ActionVerdict]:
    """Which operator actions the message's page may offer, and why not when it may not."""
    row, apt = appointment_facts(conn, message_id)
    if row is None:
        return {}
    retry = retry_verdict(row["state"], row["kind"], apt, now)
    discard = discard_verdict(row["state"])
    return {
        "retry": ActionVerdict(allowed=retry.ok, reason=retry.reason),
        "discard": ActionVerdict(allowed=discard.ok, reason=discard.reason),
    }
