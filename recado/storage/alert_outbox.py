"""The alerts' outbox: every alert opened or resolved becomes an internal event
(``alert.opened``, ``alert.resolved``) exactly once, however many places raise alerts.

Alerts are raised by many writes (``add_alert``); none of them needs to know about events.
Each alert row says how far its events went (``events_emitted``: 0, 1 opened, 2 resolved
too); the incident monitor, woken after commits, turns what is new into events in one
transaction with the mark, so an alert's event is never lost and never doubled (its id,
``alert:<id>:opened``, is the event's key as well). An alert raised while an incident is open
goes on that incident's timeline too. An alert whose events cannot be made (a bug, odd data)
is set aside with the error (``events_emitted = 3``), and the others go on.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from datetime import datetime

import msgspec

from recado.clock import parse_iso
from recado.storage.faults import fault_kind
from recado.storage.incident_records import IncidentSettings, add_entry
from recado.storage.internal_events import emit_internal_event

BATCH = 200


class PendingAlert(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: str
    severity: str
    code: str
    subject: str
    text_pt: str
    text_en: str
    resolved_at: str | None
    events_emitted: int


def pending_alerts(conn: sqlite3.Connection, limit: int = BATCH) -> list[PendingAlert]:
    rows = conn.execute(
        "SELECT id, at, severity, code, subject, text_pt, text_en, resolved_at, events_emitted "
        "FROM alerts WHERE events_emitted = 0 OR (events_emitted = 1 AND resolved_at IS NOT NULL) "
        "ORDER BY id LIMIT ?",
        (limit,),
    ).fetchall()
    return [PendingAlert(**dict(r)) for r in rows]


def emit_alert_events(conn: sqlite3.Connection, now: datetime, s: IncidentSettings) -> int:
    """Emit what is pending (one batch); returns how many alerts moved on."""
    alerts = pending_alerts(conn)
    open_incidents = [
        r[0] for r in conn.execute("SELECT id FROM incidents WHERE state != 'resolved'")
    ]
    for a in alerts:
        conn.execute("SAVEPOINT alert_events")
        try:
            _emit_one(conn, a, open_incidents, now, s)
        except Exception as exc:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK TO alert_events")
                conn.execute("RELEASE alert_events")
            if fault_kind(exc) is not None:
                raise
            conn.execute(
                "UPDATE alerts SET events_emitted = 3, events_error = ? WHERE id = ?",
                (f"{type(exc).__name__}: {exc}"[:300], a.id),
            )
        else:
            conn.execute("RELEASE alert_events")
    return len(alerts)


def _emit_one(
    conn: sqlite3.Connection,
    a: PendingAlert,
    open_incidents: list[int],
    now: datetime,
    s: IncidentSettings,
) -> None:
    data = {
        "alert_id": a.id,
        "severity": a.severity,
        "code": a.code,
        "subject": a.subject,
        "text": a.text_pt,
        "text_en": a.text_en,
        "at": a.at,
        "resolved_at": a.resolved_at,
        "url": f"{s.operator_url.rstrip('/')}/alerts",
    }
    steps = []
    if a.events_emitted == 0:
        steps.append("opened")
    if a.resolved_at is not None:
        steps.append("resolved")
    for step in steps:
        emit_internal_event(conn, f"alert:{a.id}:{step}", f"alert.{step}", data, now, s.flows)
        # An incident's own alerts are on its timeline already, in its own words.
        if a.code.startswith("incident_"):
            continue
        for incident_id in open_incidents:
            word_pt = "resolvido" if step == "resolved" else "aberto"
            add_entry(
                conn,
                incident_id,
                parse_iso(a.resolved_at if step == "resolved" and a.resolved_at else a.at),
                "alert",
                f"Alerta {word_pt} ({a.severity}): {a.text_pt}",
                f"Alert {step} ({a.severity}): {a.text_en}",
                detail={"alert_id": a.id, "code": a.code},
                ref=f"alert:{a.id}:{step}",
            )
    conn.execute(
        "UPDATE alerts SET events_emitted = ? WHERE id = ?",
        (2 if a.resolved_at is not None else 1, a.id),
    )
