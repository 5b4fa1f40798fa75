"""An incident as stored, its timeline entries and the internal events it raises: the pieces
every incident write shares (``storage/incidents.py``, ``storage/incident_clocks.py``)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from recado.clock import iso
from recado.rules.flows import FlowTable
from recado.rules.incident_sla import DEFAULT_SLA, SlaTerms
from recado.storage.internal_events import emit_internal_event


class Incident(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    cause: str
    severity: str
    priority: str
    state: str
    title: str
    description: str
    opened_by: str
    started_at: str
    opened_at: str
    responded_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    last_update_at: str
    next_update_due: str | None
    updates: int
    cause_active: int
    cause_last_active_at: str | None
    contingency_on: int
    public_note: str | None
    public_note_at: str | None
    root_cause: str | None
    corrective_actions: str | None
    forced_reason: str | None
    counts_at: str | None
    updated_at: str


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: str
    kind: str
    text_pt: str
    text_en: str
    source_ip: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class IncidentSettings:
    """What incident writes need that the database does not hold."""

    tz: ZoneInfo
    update_interval_s: float = 1800
    normal_flow_s: float = 1800
    flows: FlowTable = field(default_factory=dict)
    sla: dict[str, SlaTerms] = field(default_factory=lambda: dict(DEFAULT_SLA))
    operator_url: str = ""  # links in the events' data


def load_incident(conn: sqlite3.Connection, incident_id: int) -> Incident | None:
    row = conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    return None if row is None else Incident(**dict(row))


def open_incident_of(conn: sqlite3.Connection, cause: str) -> Incident | None:
    row = conn.execute(
        "SELECT * FROM incidents WHERE cause = ? AND state != 'resolved' ORDER BY id DESC LIMIT 1",
        (cause,),
    ).fetchone()
    return None if row is None else Incident(**dict(row))


def add_entry(
    conn: sqlite3.Connection,
    incident_id: int,
    at: datetime,
    kind: str,
    text_pt: str,
    text_en: str,
    *,
    source_ip: str = "",
    detail: dict[str, Any] | None = None,
    ref: str | None = None,
) -> bool:
    """One timeline entry; with ``ref``, only the first entry of that ref is kept."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO incident_timeline(incident_id, at, kind, text_pt, text_en, "
        "source_ip, detail_json, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            incident_id,
            iso(at),
            kind,
            text_pt,
            text_en,
            source_ip,
            json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
            ref,
        ),
    )
    return cur.rowcount > 0


def timeline_of(conn: sqlite3.Connection, incident_id: int) -> list[TimelineEntry]:
    rows = conn.execute(
        "SELECT id, at, kind, text_pt, text_en, source_ip, detail_json FROM incident_timeline "
        "WHERE incident_id = ? ORDER BY at, id",
        (incident_id,),
    ).fetchall()
    return [
        TimelineEntry(
            id=r["id"],
            at=r["at"],
            kind=r["kind"],
            text_pt=r["text_pt"],
            text_en=r["text_en"],
            source_ip=r["source_ip"],
            detail=json.loads(r["detail_json"]),
        )
        for r in rows
    ]


def incident_data(incident: Incident, s: IncidentSettings) -> dict[str, Any]:
    """What an ``incident.*`` event carries: enough to act on, nothing of a client."""
    return {
        "incident_id": incident.id,
        "severity": incident.severity,
        "priority": incident.priority,
        "state": incident.state,
        "cause": incident.cause,
        "title": incident.title,
        "started_at": incident.started_at,
        "opened_at": incident.opened_at,
        "next_update_due": incident.next_update_due,
        "url": f"{s.operator_url.rstrip('/')}/incidents/{incident.id}",
    }


def emit_incident_event(
    conn: sqlite3.Connection,
    s: IncidentSettings,
    incident_id: int,
    kind: str,
    now: datetime,
    suffix: str = "",
    **extra: Any,
) -> bool:
    """``incident.<kind>`` with the incident as it is now in this transaction."""
    incident = load_incident(conn, incident_id)
    assert incident is not None
    event_id = f"incident:{incident_id}:{kind}" + (f":{suffix}" if suffix else "")
    data = {**incident_data(incident, s), **extra}
    return emit_internal_event(conn, event_id, f"incident.{kind}", data, now, s.flows)
