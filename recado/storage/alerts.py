"""Operator alerts: rows the dashboard and the alerts page show until resolved."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import msgspec

from recado.clock import iso
from recado.rules.bounds import SQL_INT_MAX
from recado.storage.audit import record_audit

_COLUMNS = (
    "id, at, severity, code, subject, text_pt, text_en, resolved_at, acked_at, acked_by, "
    "resolved_by"
)
# What the alerts page filters by (rules/alert_links.ALERT_FILTERS names them for the page).
ALERT_STATES = ("open", "acknowledged", "resolved", "all")


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """One alert as stored: both languages, and when it was resolved (None while open)."""

    id: int
    at: str
    severity: str  # critical | warning | info
    code: str
    subject: str
    text_pt: str
    text_en: str
    resolved_at: str | None
    # A person saw it (it stays open): when, and from where (the operator's address).
    acked_at: str | None = None
    acked_by: str | None = None
    # Who resolved it by hand; None when the daemon did, the condition being over.
    resolved_by: str | None = None


def add_alert(
    conn: sqlite3.Connection,
    now: datetime,
    severity: str,
    code: str,
    subject: str,
    text_pt: str,
    text_en: str,
) -> None:
    conn.execute(
        "INSERT INTO alerts(at, severity, code, subject, text_pt, text_en) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (iso(now), severity, code, subject, text_pt, text_en),
    )


def add_alert_once(
    conn: sqlite3.Connection,
    now: datetime,
    severity: str,
    code: str,
    subject: str,
    text_pt: str,
    text_en: str,
) -> bool:
    """Raise the alert unless one of ``code`` for ``subject`` is open; whether it was."""
    if conn.execute(
        "SELECT 1 FROM alerts WHERE code = ? AND subject = ? AND resolved_at IS NULL",
        (code, subject),
    ).fetchone():
        return False
    add_alert(conn, now, severity, code, subject, text_pt, text_en)
    return True


def list_alerts(conn: sqlite3.Connection, include_resolved: bool, limit: int = 200) -> list[Alert]:
    # A range on the id, from the newest: the walk stops after ``limit`` rows.
    where = "" if include_resolved else "AND resolved_at IS NULL "
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE id < ? {where}ORDER BY id DESC LIMIT ?",
        (SQL_INT_MAX, limit),
    ).fetchall()
    return [Alert(**dict(r)) for r in rows]


def resolve_alerts(conn: sqlite3.Connection, code: str, subject: str, now: datetime) -> int:
    """The condition is over (a breaker closed): its open alerts are marked resolved."""
    cur = conn.execute(
        "UPDATE alerts SET resolved_at = ? WHERE code = ? AND subject = ? AND resolved_at IS NULL",
        (iso(now), code, subject),
    )
    return cur.rowcount


def resolve_other_subjects(
    conn: sqlite3.Connection, code: str, subject: str | None, now: datetime
) -> int:
    """The open alerts of ``code`` about anything but ``subject`` (all of them when None)
    are over: what they were about is no longer watched (a backup directory the config
    moved away from, a schedule turned off)."""
    cur = conn.execute(
        "UPDATE alerts SET resolved_at = ? WHERE code = ? AND resolved_at IS NULL "
        "AND (? IS NULL OR subject != ?)",
        (iso(now), code, subject, subject),
    )
    return cur.rowcount


def open_alert_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL").fetchone()[0])


def add_past_alerts(
    conn: sqlite3.Connection,
    alerts: list[tuple[datetime, str, str, str, str]],
    resolved_at: datetime | None,
) -> None:
    """Alerts raised while nothing could be written (a storage fault), with the time each
    started; ``resolved_at`` when the condition was over by the time they could be written.
    Each item is (at, severity, code, text_pt, text_en)."""
    conn.executemany(
        "INSERT INTO alerts(at, severity, code, subject, text_pt, text_en, resolved_at) "
        "VALUES (?, ?, ?, '', ?, ?, ?)",
        [
            (iso(at), severity, code, text_pt, text_en, iso(resolved_at) if resolved_at else None)
            for at, severity, code, text_pt, text_en in alerts
        ],
    )


def filtered_alerts(
    conn: sqlite3.Connection,
    state: str,
    severity: str | None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[Alert]:
    """The alerts page: ``state`` one of ALERT_STATES, newest first, older than
    ``before_id`` (the next page). Open ones come from the partial index of open alerts (a
    short live list); resolved ones walk the id (or the severity's index) from the newest
    and stop after ``limit`` rows."""
    where = {
        "open": "AND resolved_at IS NULL ",
        "acknowledged": "AND resolved_at IS NULL AND acked_at IS NOT NULL ",
        "resolved": "AND resolved_at IS NOT NULL ",
        "all": "",
    }[state]
    params: list[object] = [SQL_INT_MAX if before_id is None else before_id]
    if severity is not None:
        where += "AND severity = ? "
        params.append(severity)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE id < ? {where}ORDER BY id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [Alert(**dict(r)) for r in rows]


def open_critical_count(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL AND severity = 'critical'"
    ).fetchone()
    return int(row[0])


def open_alerts_of(conn: sqlite3.Connection, codes: tuple[str, ...]) -> int:
    marks = ", ".join("?" * len(codes))
    row = conn.execute(
        f"SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL AND code IN ({marks})", codes
    ).fetchone()
    return int(row[0])


class AlertActed(msgspec.Struct, frozen=True, kw_only=True):
    """What an operator's acknowledge or resolve did: ``acknowledged`` | ``resolved`` |
    ``acknowledged_before`` (nothing changed, nothing audited) | ``not_found`` |
    ``resolved_before``; the alert as it is now (None when not found)."""

    outcome: str
    alert: Alert | None


def _one(conn: sqlite3.Connection, alert_id: int) -> Alert | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return Alert(**dict(row)) if row else None


# An operator's act on an alert: the columns it stamps and the outcome it reports.
_ACTS = {"acknowledge": ("acked", "acknowledged"), "resolve": ("resolved", "resolved")}


def _operator_act(
    conn: sqlite3.Connection, alert_id: int, now: datetime, source_ip: str, act: str
) -> AlertActed:
    found = _one(conn, alert_id)
    if found is None:
        return AlertActed(outcome="not_found", alert=None)
    if found.resolved_at is not None:
        return AlertActed(outcome="resolved_before", alert=found)
    if act == "acknowledge" and found.acked_at is not None:
        return AlertActed(outcome="acknowledged_before", alert=found)
    column, outcome = _ACTS[act]
    conn.execute(
        f"UPDATE alerts SET {column}_at = ?, {column}_by = ? WHERE id = ?",
        (iso(now), source_ip, alert_id),
    )
    detail = {"code": found.code, "subject": found.subject}
    record_audit(conn, now, f"alert.{act}", str(alert_id), source_ip, "operator", detail)
    return AlertActed(outcome=outcome, alert=_one(conn, alert_id))


def acknowledge_alert(
    conn: sqlite3.Connection, alert_id: int, now: datetime, source_ip: str
) -> AlertActed:
    """A person saw the alert: it stays open, marked; audited in this same transaction."""
    return _operator_act(conn, alert_id, now, source_ip, "acknowledge")


def resolve_alert(
    conn: sqlite3.Connection, alert_id: int, now: datetime, source_ip: str
) -> AlertActed:
    """A person closes the alert (kept, listed as resolved); audited in this transaction."""
    return _operator_act(conn, alert_id, now, source_ip, "resolve")


def reconcile_alerts(
    conn: sqlite3.Connection,
    now: datetime,
    codes: tuple[str, ...],
    wanted: list[tuple[str, str, str, str, str]],
) -> int:
    """Make the open alerts of ``codes`` exactly ``wanted`` (severity, code, subject, text_pt,
    text_en): the others are resolved, the missing raised (an open one whose text changed is
    replaced). How many rows changed."""
    marks = ", ".join("?" * len(codes))
    open_rows = conn.execute(
        f"SELECT id, code, subject, text_pt FROM alerts WHERE resolved_at IS NULL "
        f"AND code IN ({marks})",
        codes,
    ).fetchall()
    keep = {(code, subject, pt) for _severity, code, subject, pt, _en in wanted}
    have = set()
    changed = 0
    for row in open_rows:
        key = (row["code"], row["subject"], row["text_pt"])
        if key in keep and key not in have:
            have.add(key)
            continue
        conn.execute("UPDATE alerts SET resolved_at = ? WHERE id = ?", (iso(now), row["id"]))
        changed += 1
    for severity, code, subject, pt, en in wanted:
        if (code, subject, pt) not in have:
            add_alert(conn, now, severity, code, subject, pt, en)
            have.add((code, subject, pt))
            changed += 1
    return changed


def open_alerts_in(conn: sqlite3.Connection, codes: tuple[str, ...]) -> list[Alert]:
    """The open alerts of ``codes`` (through the open alerts' code index; a few per code)."""
    marks = ",".join("?" for _ in codes)
    rows = conn.execute(
        "SELECT id, at, severity, code, subject, text_pt, text_en, resolved_at FROM alerts "
        f"WHERE code IN ({marks}) AND resolved_at IS NULL LIMIT 200",
        codes,
    ).fetchall()
    return [Alert(**dict(r)) for r in rows]


def keep_standing_alerts(
    conn: sqlite3.Connection,
    now: datetime,
    codes: tuple[str, ...],
    wanted: list[tuple[str, str, str, str, str]],
) -> tuple[int, int]:
    """Standing alerts of ``codes`` as ``wanted`` says, each (code, subject, severity, text_pt,
    text_en): the missing ones raised, the open ones no longer wanted resolved, the words of
    the others brought up to date in place (a count in them moves while the fault lasts; that
    is the same alert, not a new one). Returns (raised, resolved)."""
    current = {(a.code, a.subject): a for a in open_alerts_in(conn, codes)}
    keep = {(code, subject) for code, subject, *_ in wanted}
    resolved = sum(resolve_alerts(conn, c, s, now) for c, s in current.keys() - keep)
    raised = 0
    for code, subject, severity, pt, en in wanted:
        found = current.get((code, subject))
        if found is None:
            add_alert(conn, now, severity, code, subject, pt, en)
            raised += 1
        elif (found.text_pt, found.text_en) != (pt, en):
            conn.execute(
                "UPDATE alerts SET text_pt = ?, text_en = ? WHERE id = ?", (pt, en, found.id)
            )
    return raised, resolved
