"""Reads of incidents: the list with its filters, one incident with its timeline and
post-mortem, what the monitor watches, and the public notes ``/status`` shows."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import msgspec

from recado.storage.incident_records import Incident, TimelineEntry, timeline_of


class Postmortem(msgspec.Struct, frozen=True, kw_only=True):
    created_at: str
    due_at: str | None
    summary: dict[str, Any]
    lessons_learned: str | None
    completed_at: str | None


class IncidentDetail(msgspec.Struct, frozen=True, kw_only=True):
    incident: Incident
    timeline: list[TimelineEntry]
    postmortem: Postmortem | None
    contingency_replies: int


class PublicNote(msgspec.Struct, frozen=True, kw_only=True):
    """Only what the public status page may show: no cause, no internals, no client."""

    title: str
    state: str
    started_at: str
    note: str
    note_at: str


def list_incidents(
    conn: sqlite3.Connection,
    state: str | None,
    severity: str | None,
    limit: int,
    before_id: int | None = None,
) -> list[Incident]:
    rows = conn.execute(
        "SELECT * FROM incidents WHERE (? IS NULL OR state = ? "
        " OR (? = 'active' AND state != 'resolved')) "
        "AND (? IS NULL OR severity = ?) AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
        (state, state, state, severity, severity, before_id, before_id, limit),
    ).fetchall()
    return [Incident(**dict(r)) for r in rows]


def incident_detail(conn: sqlite3.Connection, incident_id: int) -> IncidentDetail | None:
    row = conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row is None:
        return None
    pm = conn.execute(
        "SELECT created_at, due_at, summary_json, lessons_learned, completed_at FROM postmortems "
        "WHERE incident_id = ?",
        (incident_id,),
    ).fetchone()
    postmortem = None
    if pm is not None:
        postmortem = Postmortem(
            created_at=pm["created_at"],
            due_at=pm["due_at"],
            summary=json.loads(pm["summary_json"]),
            lessons_learned=pm["lessons_learned"],
            completed_at=pm["completed_at"],
        )
    replies = conn.execute(
        "SELECT COUNT(*) FROM contingency_replies WHERE incident_id = ?", (incident_id,)
    ).fetchone()[0]
    return IncidentDetail(
        incident=Incident(**dict(row)),
        timeline=timeline_of(conn, incident_id),
        postmortem=postmortem,
        contingency_replies=int(replies),
    )


def active_incidents(conn: sqlite3.Connection) -> list[Incident]:
    rows = conn.execute("SELECT * FROM incidents WHERE state != 'resolved' ORDER BY id").fetchall()
    return [Incident(**dict(r)) for r in rows]


def overdue_postmortems(conn: sqlite3.Connection, now: str) -> list[tuple[Incident, str]]:
    """Resolved incidents whose post-mortem is past due without lessons learned."""
    rows = conn.execute(
        "SELECT i.*, p.due_at AS pm_due FROM postmortems p JOIN incidents i ON i.id = "
        "p.incident_id WHERE p.completed_at IS NULL AND p.due_at IS NOT NULL AND p.due_at < ?",
        (now,),
    ).fetchall()
    out = []
    for r in rows:
        data = dict(r)
        due = data.pop("pm_due")
        out.append((Incident(**data), due))
    return out


def public_notes(conn: sqlite3.Connection) -> list[PublicNote]:
    rows = conn.execute(
        "SELECT title, state, started_at, public_note, public_note_at FROM incidents "
        "WHERE state != 'resolved' AND public_note IS NOT NULL ORDER BY public_note_at DESC"
    ).fetchall()
    return [
        PublicNote(
            title=r["title"],
            state=r["state"],
            started_at=r["started_at"],
            note=r["public_note"],
            note_at=r["public_note_at"],
        )
        for r in rows
    ]


def open_counts(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT severity, COUNT(*) AS n FROM incidents WHERE state != 'resolved' GROUP BY severity"
    ).fetchall()
    return {r["severity"]: int(r["n"]) for r in rows}


def message_queues(conn: sqlite3.Connection) -> dict[str, int]:
    """WhatsApp jobs waiting (queued), with an unknown outcome, and given up (dead)."""
    rows = conn.execute(
        "SELECT state, COUNT(*) AS n FROM messages WHERE state IN ('queued', 'uncertain', 'dead') "
        "GROUP BY state"
    ).fetchall()
    found = {r["state"]: int(r["n"]) for r in rows}
    return {state: found.get(state, 0) for state in ("queued", "uncertain", "dead")}
