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
    # Who it is for: the booking's name for the client, and the customer WhatsApp knows.
    client_name: str | None = None
    customer_name: str | None = None
    customer_username: str | None = None
    customer_bsuid: str | None = None
    customer_phone: str | None = None
    # When Meta accepted it (or a dry run recorded it): when it went out.
    sent_at: str | None = None
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


class OperatorAction(msgspec.Struct, frozen=True, kw_only=True):
    """An operator's retry or discard of the message, from the audit log."""

    at: str
    action: str  # retry | discard
    source_ip: str
    detail: dict[str, Any]


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
    actions: list[OperatorAction]


class ActionVerdict(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    reason: str | None


_LIST_COLUMNS = (
    "m.id, m.kind, m.state, m.appointment_id, m.to_number, m.wa_id, m.wamid, m.created_at, "
    "m.updated_at, m.due_at, m.attempts, m.reason_code, m.reason_json, m.dry_run, "
    "a.client_name, c.profile_name AS customer_name, c.username AS customer_username, "
    "c.bsuid AS customer_bsuid, c.phone AS customer_phone, "
    # Through message_attempts_message: a handful of attempts per message at most.
    "(SELECT MIN(x.finished_at) FROM message_attempts x WHERE x.message_id = m.id "
    " AND x.outcome IN ('sent', 'dry_run')) AS sent_at"
)
_RECORD_COLUMNS = (
    f"{_LIST_COLUMNS}, m.starts_at, m.state_ts, m.event_id, m.text_body, m.inbound_wamid, "
    "m.params_json"
)
# Each row's appointment and customer, by their primary keys.
_LIST_FROM = (
    "messages m LEFT JOIN appointments a ON a.id = m.appointment_id "
    "LEFT JOIN customers c ON c.id = m.customer_id"
)
# A compound SELECT orders by result columns, by position: created_at then id.
_ORDER = f"{_LIST_COLUMNS.split(', ').index('m.created_at') + 1} DESC, 1 DESC"
# Operator actions a message's timeline shows at most (an operator retries a few times).
ACTIONS_MAX = 50


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
    customers: list[int] | None = None,
) -> list[MessageListItem]:
    """Newest first from ``before`` (the created_at and id of the last row of the previous
    page). Only the filters asked for are in the statement, and the page boundary is a
    row-value comparison: an index on (filter, created_at, id) serves each alone.

    ``customers`` (the clients a name search found, a bounded few) is one arm per client
    on messages_customer, merged in order: each arm yields its newest rows first, so the
    merge stops at ``limit`` rows without sorting any client's history."""
    if customers is not None and not customers:
        return []
    bound = before or _NEWEST
    # The day's end is folded into the page boundary (``(t, "")`` is below every id at
    # ``t``): as a term of its own it is not what the index range stops at, and a day long
    # ago would walk every newer row first.
    if day_end is not None and (day_end, "") < bound:
        bound = (day_end, "")
    where, params = ["(m.created_at, m.id) < (?, ?)"], list(bound)
    for column, value in (("m.state", state), ("m.kind", kind), ("m.wa_id", phone)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if day_start is not None:
        where.append("m.created_at >= ?")
        params.append(day_start)
    if customers:
        arm = f"SELECT {_LIST_COLUMNS} FROM {_LIST_FROM} WHERE m.customer_id = ? AND "
        arm += " AND ".join(where)
        rows = conn.execute(
            " UNION ALL ".join([arm] * len(customers)) + f" ORDER BY {_ORDER} LIMIT ?",
            (*(v for c in customers for v in (c, *params)), limit),
        ).fetchall()
        return [MessageListItem(**_columns(r)) for r in rows]
    rows = conn.execute(
        f"SELECT {_LIST_COLUMNS} FROM {_LIST_FROM} WHERE {' AND '.join(where)} "
        "ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
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
        f"SELECT {_RECORD_COLUMNS} FROM {_LIST_FROM} WHERE m.id = ?", (message_id,)
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
    return MessageDetail(
        message=message,
        attempts=attempts,
        statuses=statuses,
        actions=operator_actions(conn, message_id, message.created_at),
    )


def operator_actions(conn: sqlite3.Connection, message_id: str, since: str) -> list[OperatorAction]:
    """The operator's retries and discards of the message, read by the rows that name it
    (migration 0016: through the time index alone, an old message's range was every audit
    row since it was made); none can come before the message existed."""
    rows = conn.execute(
        "SELECT at, action, source_ip, detail_json FROM audit_log "
        "WHERE at >= ? AND target = ? AND action IN ('messages.retry', 'messages.discard') "
        "ORDER BY at, id LIMIT ?",
        (since, message_id, ACTIONS_MAX),
    ).fetchall()
    return [
        OperatorAction(
            at=r["at"],
            action=r["action"].removeprefix("messages."),
            source_ip=r["source_ip"],
            detail=json.loads(r["detail_json"]),
        )
        for r in rows
    ]


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
