"""Closing an incident as the SOP says: resolved only after 30 minutes of normal flow (the
closing rule reads the facts inside this very transaction) or forced with a reason, audited;
root cause and corrective actions kept; contingency replies off and the queued ones called
off; a post-mortem generated from the timeline, due per priority, completed with the lessons
learned."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from recado.clock import iso, parse_iso
from recado.rules.incident_closing import FlowFacts, Verdict, resolution_verdict
from recado.rules.incident_sla import RESOLVED, IncidentTimes, postmortem_due, sla_clocks, terms_for
from recado.storage.alerts import resolve_alerts
from recado.storage.audit import record_audit
from recado.storage.incident_clocks import record_counts
from recado.storage.incident_facts import first_unanswered_send, last_failure_since, last_webhook_at
from recado.storage.incident_records import (
    Incident,
    IncidentSettings,
    add_entry,
    emit_incident_event,
    load_incident,
    timeline_of,
)

# A count taken by the monitor this recently says all there is to say at the resolution.
_COUNTS_GAP = timedelta(minutes=1)


def _dt(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def verdict_for(
    conn: sqlite3.Connection, incident: Incident, now: datetime, s: IncidentSettings
) -> Verdict:
    started = parse_iso(incident.started_at)
    facts = FlowFacts(
        now=now,
        incident_started_at=started,
        cause_active=bool(incident.cause_active),
        cause_last_active_at=_dt(incident.cause_last_active_at),
        last_failure_at=last_failure_since(conn, started),
        first_accepted_after_webhook_at=first_unanswered_send(conn, last_webhook_at(conn), now),
    )
    return resolution_verdict(facts, s.normal_flow_s, s.tz)


def resolve_incident(
    conn: sqlite3.Connection,
    incident_id: int,
    root_cause: str,
    corrective_actions: str,
    force: bool,
    force_reason: str,
    now: datetime,
    s: IncidentSettings,
    source_ip: str,
) -> dict[str, Any]:
    incident = load_incident(conn, incident_id)
    if incident is None:
        return {"outcome": "not_found"}
    if incident.state == RESOLVED:
        return {"outcome": "resolved_already"}
    verdict = verdict_for(conn, incident, now, s)
    if not verdict.allowed and not force:
        return {
            "outcome": "not_normal",
            "reason_pt": verdict.reason_pt,
            "reason_en": verdict.reason_en,
            "ready_at": iso(verdict.ready_at),
        }
    forced = None if verdict.allowed else force_reason
    if now - parse_iso(incident.counts_at or incident.opened_at) >= _COUNTS_GAP:
        record_counts(conn, incident, now, s)
    conn.execute(
        "UPDATE incidents SET state = 'resolved', resolved_at = ?, contingency_on = 0, "
        "root_cause = ?, corrective_actions = ?, forced_reason = ?, next_update_due = NULL, "
        "responded_at = COALESCE(responded_at, ?), updated_at = ? WHERE id = ?",
        (iso(now), root_cause, corrective_actions, forced, iso(now), iso(now), incident_id),
    )
    # "Remover mensagens automáticas de contingência": the replies still waiting go nowhere.
    conn.execute(
        "UPDATE messages SET state = 'canceled', reason_code = 'incident_resolved', "
        "updated_at = ? WHERE state = 'queued' AND id IN "
        "(SELECT message_id FROM contingency_replies WHERE incident_id = ?)",
        (iso(now), incident_id),
    )
    for code in ("incident_open", "incident_update_due"):
        resolve_alerts(conn, code, str(incident_id), now)
    for clock in ("response", "workaround"):
        resolve_alerts(conn, "incident_sla_missed", f"{incident_id}:{clock}", now)
    minutes = f"{s.normal_flow_s / 60:g} min"
    if forced is not None:
        pt = f"Resolvido à força, sem {minutes} de fluxo normal. Motivo: {_ended(forced)}"
        en = f"Resolved by force, without {minutes} of normal flow. Reason: {_ended(forced)}"
    else:
        pt = f"Resolvido após {minutes} de fluxo normal."
        en = f"Resolved after {minutes} of normal flow."
    cause, actions = _ended(root_cause), _ended(corrective_actions)
    add_entry(
        conn,
        incident_id,
        now,
        "resolved",
        f"{pt} Causa raiz: {cause} Ações corretivas: {actions}",
        f"{en} Root cause: {cause} Corrective actions: {actions}",
        source_ip=source_ip,
        detail={"forced": forced is not None, "normal_since": iso(verdict.normal_since)},
    )
    record_audit(
        conn,
        now,
        "incident.resolve",
        f"incident:{incident_id}",
        source_ip,
        "operator",
        {"forced": forced is not None, "force_reason": forced, "force_requested": force},
    )
    resolved = load_incident(conn, incident_id)
    assert resolved is not None
    due = _write_postmortem(conn, resolved, now, s)
    emit_incident_event(conn, s, incident_id, "resolved", now, root_cause=root_cause)
    return {
        "outcome": "resolved",
        "forced": forced is not None,
        "postmortem_due": iso(due) if due else None,
    }


def _ended(text: str) -> str:
    """An operator's text as a sentence of the timeline entry, so the next one does not run
    into it."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _write_postmortem(
    conn: sqlite3.Connection, incident: Incident, now: datetime, s: IncidentSettings
) -> datetime | None:
    terms = terms_for(s.sla, incident.priority)
    due = postmortem_due(terms, now)
    times = IncidentTimes(
        opened_at=parse_iso(incident.opened_at),
        responded_at=_dt(incident.responded_at),
        mitigated_at=_dt(incident.mitigated_at),
        resolved_at=now,
    )
    started = parse_iso(incident.started_at)
    summary = {
        "title": incident.title,
        "severity": incident.severity,
        "priority": incident.priority,
        "cause": incident.cause,
        "started_at": incident.started_at,
        "opened_at": incident.opened_at,
        "responded_at": incident.responded_at,
        "mitigated_at": incident.mitigated_at,
        "resolved_at": iso(now),
        "duration_min": int((now - started).total_seconds() // 60),
        "forced_reason": incident.forced_reason,
        "root_cause": incident.root_cause,
        "corrective_actions": incident.corrective_actions,
        "sla": [
            {
                "clock": c.name,
                "due_at": iso(c.due_at) if c.due_at else None,
                "met_at": iso(c.met_at) if c.met_at else None,
                "state": c.state,
            }
            for c in sla_clocks(terms, times, now)
            if c.name != "postmortem"
        ],
        "timeline": [
            {"at": e.at, "kind": e.kind, "text": e.text_pt, "text_en": e.text_en}
            for e in timeline_of(conn, incident.id)
        ],
    }
    conn.execute(
        "INSERT OR IGNORE INTO postmortems(incident_id, created_at, due_at, summary_json) "
        "VALUES (?, ?, ?, ?)",
        (incident.id, iso(now), iso(due) if due else None, json.dumps(summary, ensure_ascii=False)),
    )
    add_entry(
        conn,
        incident.id,
        now,
        "postmortem",
        "Post-mortem gerado a partir da linha do tempo"
        + (
            f"; registre as lições aprendidas até {due.astimezone(s.tz):%d/%m/%Y %H:%M}."
            if due
            else "."
        ),
        "Post-mortem generated from the timeline"
        + (
            f"; record the lessons learned by {due.astimezone(s.tz):%d/%m/%Y %H:%M}."
            if due
            else "."
        ),
    )
    return due


def complete_postmortem(
    conn: sqlite3.Connection,
    incident_id: int,
    lessons_learned: str,
    now: datetime,
    source_ip: str,
) -> dict[str, Any]:
    row = conn.execute(
        "SELECT completed_at FROM postmortems WHERE incident_id = ?", (incident_id,)
    ).fetchone()
    if row is None:
        return {"outcome": "not_found"}
    conn.execute(
        "UPDATE postmortems SET lessons_learned = ?, completed_at = COALESCE(completed_at, ?) "
        "WHERE incident_id = ?",
        (lessons_learned, iso(now), incident_id),
    )
    resolve_alerts(conn, "incident_sla_missed", f"{incident_id}:postmortem", now)
    add_entry(
        conn,
        incident_id,
        now,
        "postmortem",
        f"Lições aprendidas registradas: {lessons_learned}",
        f"Lessons learned recorded: {lessons_learned}",
        source_ip=source_ip,
    )
    record_audit(
        conn, now, "incident.postmortem", f"incident:{incident_id}", source_ip, "operator", {}
    )
    return {"outcome": "completed"}
