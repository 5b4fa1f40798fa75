"""Incident writes: opening (by a trigger or by hand), a trigger joining or clearing, the
30-minute updates, the SOP's actions. Each is one storage write: the incident, its timeline,
its alert, its internal event and the audit row commit together or not at all.

Resolution and the post-mortem are in ``storage/incident_closing.py``; the clocks the monitor
keeps (SLA, update reminders, counts) in ``storage/incident_clocks.py``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from recado.clock import iso, parse_iso
from recado.rules.incident_sla import MITIGATED, RESOLVED
from recado.rules.incident_triggers import SEV1, Trigger
from recado.storage.alerts import add_alert, resolve_alerts
from recado.storage.audit import record_audit
from recado.storage.incident_records import (
    Incident,
    IncidentSettings,
    add_entry,
    emit_incident_event,
    load_incident,
    open_incident_of,
)
from recado.storage.operator_actions import set_kill_switch
from recado.storage.settings import SENDING_PAUSED, delete_setting


@dataclass(frozen=True)
class NewIncident:
    cause: str
    severity: str
    priority: str
    title: str
    description: str
    started_at: datetime
    opened_by: str  # monitor | operator
    evidence_pt: str = ""
    evidence_en: str = ""
    source_ip: str = ""


def open_incident(
    conn: sqlite3.Connection, new: NewIncident, now: datetime, s: IncidentSettings
) -> Incident:
    by_hand = new.opened_by == "operator"
    due = now + timedelta(seconds=s.update_interval_s)
    cur = conn.execute(
        "INSERT INTO incidents(cause, severity, priority, state, title, description, opened_by, "
        "started_at, opened_at, responded_at, last_update_at, next_update_due, cause_active, "
        "counts_at, updated_at) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.cause,
            new.severity,
            new.priority,
            new.title,
            new.description,
            new.opened_by,
            iso(new.started_at),
            iso(now),
            iso(now) if by_hand else None,
            iso(now),
            iso(due),
            0 if by_hand else 1,
            iso(now),
            iso(now),
        ),
    )
    incident_id = int(cur.lastrowid or 0)
    who_pt, who_en = (
        ("pela equipe", "by the team") if by_hand else ("automaticamente", "automatically")
    )
    add_entry(
        conn,
        incident_id,
        now,
        "opened",
        f"Incidente aberto {who_pt} ({new.severity}, {new.priority}): {new.title}. "
        + new.evidence_pt,
        f"Incident opened {who_en} ({new.severity}, {new.priority}): {new.title}. "
        + new.evidence_en,
        source_ip=new.source_ip,
        detail={"cause": new.cause, "started_at": iso(new.started_at)},
    )
    add_alert(
        conn,
        now,
        "critical" if new.severity == SEV1 else "warning",
        "incident_open",
        str(incident_id),
        f"Incidente #{incident_id} aberto ({new.severity}): {new.title}.",
        f"Incident #{incident_id} opened ({new.severity}): {new.title}.",
    )
    _collect_alerts(conn, incident_id, new.started_at)
    if by_hand:
        record_audit(
            conn,
            now,
            "incident.open",
            f"incident:{incident_id}",
            new.source_ip,
            "operator",
            {"severity": new.severity, "priority": new.priority, "title": new.title},
        )
    emit_incident_event(conn, s, incident_id, "opened", now, description=new.description)
    if new.severity == SEV1:
        emit_incident_event(conn, s, incident_id, "escalated", now)
    incident = load_incident(conn, incident_id)
    assert incident is not None
    return incident


# Alerts raised this long before the fault's start are part of its story too.
_ALERTS_BEFORE = timedelta(minutes=5)


def _collect_alerts(conn: sqlite3.Connection, incident_id: int, started_at: datetime) -> None:
    """The open alerts raised around the fault's start go on the new incident's timeline
    (later ones arrive through the alerts' outbox, under the same refs)."""
    rows = conn.execute(
        "SELECT id, at, severity, code, text_pt, text_en FROM alerts WHERE resolved_at IS NULL "
        "AND at >= ? AND code NOT LIKE 'incident\\_%' ESCAPE '\\' ORDER BY id",
        (iso(started_at - _ALERTS_BEFORE),),
    ).fetchall()
    for a in rows:
        add_entry(
            conn,
            incident_id,
            parse_iso(a["at"]),
            "alert",
            f"Alerta aberto ({a['severity']}): {a['text_pt']}",
            f"Alert opened ({a['severity']}): {a['text_en']}",
            detail={"alert_id": a["id"], "code": a["code"]},
            ref=f"alert:{a['id']}:opened",
        )


def trigger_fired(
    conn: sqlite3.Connection, t: Trigger, now: datetime, s: IncidentSettings
) -> tuple[str, int]:
    """A cause fires: open its incident, or join the open one (a second trigger is one more
    line on its timeline, never a second incident). ``(opened|joined|unchanged, id)``."""
    found = open_incident_of(conn, t.cause)
    if found is None:
        new = NewIncident(
            cause=t.cause,
            severity=t.severity,
            priority="P1" if t.severity == SEV1 else "P2",
            title=t.title_pt,
            description=t.evidence_pt,
            started_at=t.since,
            opened_by="monitor",
            evidence_pt=t.evidence_pt,
            evidence_en=t.evidence_en,
        )
        return "opened", open_incident(conn, new, now, s).id
    if found.cause_active:
        return "unchanged", found.id
    conn.execute(
        "UPDATE incidents SET cause_active = 1, updated_at = ? WHERE id = ?", (iso(now), found.id)
    )
    add_entry(
        conn,
        found.id,
        now,
        "trigger",
        f"A condição voltou a ocorrer: {t.evidence_pt}",
        f"The condition is back: {t.evidence_en}",
        detail={"since": iso(t.since)},
    )
    emit_incident_event(
        conn, s, found.id, "updated", now, f"trigger:{iso(now)}", note=t.evidence_pt
    )
    return "joined", found.id


def cause_cleared(conn: sqlite3.Connection, incident_id: int, now: datetime) -> bool:
    """The incident's trigger no longer fires (the incident stays open for people)."""
    cur = conn.execute(
        "UPDATE incidents SET cause_active = 0, cause_last_active_at = ?, updated_at = ? "
        "WHERE id = ? AND cause_active = 1 AND state != 'resolved'",
        (iso(now), iso(now), incident_id),
    )
    if cur.rowcount:
        add_entry(
            conn,
            incident_id,
            now,
            "cleared",
            "A condição que abriu o incidente não é mais observada pelo daemon.",
            "The condition that opened the incident is no longer seen by the daemon.",
        )
    return cur.rowcount > 0


def _responded(conn: sqlite3.Connection, incident_id: int, now: datetime) -> None:
    conn.execute(
        "UPDATE incidents SET responded_at = COALESCE(responded_at, ?), updated_at = ? "
        "WHERE id = ?",
        (iso(now), iso(now), incident_id),
    )


def post_update(
    conn: sqlite3.Connection,
    incident_id: int,
    note: str,
    public_note: str | None,
    mitigated: bool,
    now: datetime,
    s: IncidentSettings,
    source_ip: str,
) -> dict[str, Any]:
    """The 30-minute communication: a note for the team, optionally the public note
    (``""`` takes it off ``/status``), and the next update due 30 minutes from now."""
    incident = load_incident(conn, incident_id)
    if incident is None:
        return {"outcome": "not_found"}
    if incident.state == RESOLVED:
        return {"outcome": "resolved_already"}
    due = now + timedelta(seconds=s.update_interval_s)
    conn.execute(
        "UPDATE incidents SET updates = updates + 1, last_update_at = ?, next_update_due = ?, "
        " public_note = CASE WHEN ? THEN NULLIF(?, '') ELSE public_note END, "
        " public_note_at = CASE WHEN ? THEN ? ELSE public_note_at END, "
        " state = CASE WHEN ? THEN ? ELSE state END, "
        " mitigated_at = CASE WHEN ? AND mitigated_at IS NULL THEN ? ELSE mitigated_at END, "
        " updated_at = ? WHERE id = ?",
        (
            iso(now),
            iso(due),
            public_note is not None,
            public_note or "",
            public_note is not None,
            iso(now),
            mitigated,
            MITIGATED,
            mitigated,
            iso(now),
            iso(now),
            incident_id,
        ),
    )
    _responded(conn, incident_id, now)
    resolve_alerts(conn, "incident_update_due", str(incident_id), now)
    shown = "" if public_note is None else " Nota pública: " + (public_note or "(removida)")
    shown_en = "" if public_note is None else " Public note: " + (public_note or "(removed)")
    add_entry(
        conn,
        incident_id,
        now,
        "update",
        f"Atualização: {note}{shown}" + (" Marcado como mitigado." if mitigated else ""),
        f"Update: {note}{shown_en}" + (" Marked as mitigated." if mitigated else ""),
        source_ip=source_ip,
        detail={"note": note, "public_note": public_note, "mitigated": mitigated},
    )
    record_audit(
        conn,
        now,
        "incident.update",
        f"incident:{incident_id}",
        source_ip,
        "operator",
        {"mitigated": mitigated, "public_note": public_note is not None},
    )
    n = incident.updates + 1
    emit_incident_event(
        conn, s, incident_id, "updated", now, str(n), note=note, public_note=public_note
    )
    return {"outcome": "updated", "updates": n, "next_update_due": iso(due)}


# The SOP's actions from the incident page: (pt-BR, English) for the timeline.
ACTIONS = {
    "restart_actors": ("Processos internos reiniciados.", "Internal processes restarted."),
    "kill_switch_on": (
        "Interruptor de emergência ligado: nenhum envio sai.",
        "Kill switch on: nothing is sent.",
    ),
    "kill_switch_off": (
        "Interruptor de emergência desligado: os envios seguem.",
        "Kill switch off: sending resumes.",
    ),
    "contingency_on": (
        "Resposta de contingência ligada: cada cliente que escrever recebe o aviso uma vez.",
        "Contingency reply on: each client who writes gets the notice once.",
    ),
    "contingency_off": ("Resposta de contingência desligada.", "Contingency reply off."),
    "mitigated": ("Marcado como mitigado.", "Marked as mitigated."),
    "reconnect_whatsapp": ("WhatsApp: token verificado na Meta.", "WhatsApp: token checked."),
}
# What "reconnect WhatsApp" found, for the timeline: (pt-BR, English) per verdict.
RECONNECT = {
    "accepted": (
        "WhatsApp reconectado: a Meta aceitou o token configurado; os envios seguem.",
        "WhatsApp reconnected: Meta accepted the configured token; sending resumes.",
    ),
    "refused": (
        "A Meta recusou o token configurado: gere um novo token, grave-o no arquivo de "
        "whatsapp.access_token_file e reinicie o recado. Os envios seguem pausados.",
        "Meta refused the configured token: create a new one, write it to "
        "whatsapp.access_token_file and restart recado. Sending stays paused.",
    ),
    "refused_connection": (
        "A Meta recusou o token da conexão: conecte o WhatsApp de novo em /connect/whatsapp. "
        "Os envios seguem pausados.",
        "Meta refused the connection's token: connect WhatsApp again at /connect/whatsapp. "
        "Sending stays paused.",
    ),
    "unknown": (
        "Não foi possível verificar o token (a Meta não respondeu com clareza); nada mudou.",
        "The token could not be checked (Meta gave no clear answer); nothing changed.",
    ),
}


def incident_action(
    conn: sqlite3.Connection,
    incident_id: int,
    action: str,
    now: datetime,
    s: IncidentSettings,
    source_ip: str,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record one of the SOP's actions on the incident (the caller carried out what lives
    outside the database: restarting actors)."""
    incident = load_incident(conn, incident_id)
    if incident is None:
        return {"outcome": "not_found"}
    if incident.state == RESOLVED:
        return {"outcome": "resolved_already"}
    if action in ("kill_switch_on", "kill_switch_off"):
        # The same write (and audit row) as the kill switch's own action.
        set_kill_switch(conn, action == "kill_switch_on", now, source_ip)
    elif action in ("contingency_on", "contingency_off"):
        conn.execute(
            "UPDATE incidents SET contingency_on = ? WHERE id = ?",
            (int(action == "contingency_on"), incident_id),
        )
    elif action == "reconnect_whatsapp" and (detail or {}).get("token") == "accepted":
        # Meta takes the token again: the pause its refusal set is over, as at a start
        # with a new token.
        delete_setting(conn, SENDING_PAUSED)
        resolve_alerts(conn, "whatsapp_auth", "whatsapp", now)
    elif action == "mitigated":
        conn.execute(
            "UPDATE incidents SET state = ?, mitigated_at = COALESCE(mitigated_at, ?) WHERE id = ?",
            (MITIGATED, iso(now), incident_id),
        )
    _responded(conn, incident_id, now)
    pt, en = ACTIONS[action]
    if action == "reconnect_whatsapp":
        verdict = str((detail or {}).get("token", "unknown"))
        if verdict == "refused" and (detail or {}).get("source") == "connection":
            verdict = "refused_connection"
        pt, en = RECONNECT[verdict]
    add_entry(conn, incident_id, now, "action", pt, en, source_ip=source_ip, detail=detail)
    record_audit(
        conn,
        now,
        f"incident.{action}",
        f"incident:{incident_id}",
        source_ip,
        "operator",
        detail or {},
    )
    emit_incident_event(conn, s, incident_id, "updated", now, f"{action}:{iso(now)}", note=pt)
    return {"outcome": "done", "action": action}
