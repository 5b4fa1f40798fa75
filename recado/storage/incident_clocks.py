"""The clocks the incident monitor keeps on each incident: a missed SLA clock (one alert,
once), the 30-minute update reminder (one alert and one ``incident.update_due`` per due
time), and the sends/webhooks counts its timeline collects."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from recado.clock import iso, parse_iso
from recado.rules.incident_sla import ClockState
from recado.storage.alerts import add_alert
from recado.storage.incident_facts import flow_counts
from recado.storage.incident_records import (
    Incident,
    IncidentSettings,
    add_entry,
    emit_incident_event,
)

CLOCK_NAMES = {
    "response": ("primeira resposta", "first response"),
    "workaround": ("solução de contorno", "workaround"),
    "postmortem": ("post-mortem", "post-mortem"),
}


def _local(text: str | datetime, tz: ZoneInfo) -> str:
    dt = parse_iso(text) if isinstance(text, str) else text
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def clock_missed(
    conn: sqlite3.Connection,
    incident: Incident,
    clock: ClockState,
    now: datetime,
    s: IncidentSettings,
) -> bool:
    """The clock ran past its due time: one alert and one timeline line, ever."""
    assert clock.due_at is not None
    pt, en = CLOCK_NAMES[clock.name]
    due = _local(clock.due_at, s.tz)
    added = add_entry(
        conn,
        incident.id,
        now,
        "sla",
        f"Prazo de {pt} ({incident.priority}) vencido em {due}.",
        f"The {en} deadline ({incident.priority}) passed at {due}.",
        detail={"clock": clock.name, "due_at": iso(clock.due_at)},
        ref=f"sla:{clock.name}",
    )
    if added:
        add_alert(
            conn,
            now,
            "critical" if incident.priority == "P1" else "warning",
            "incident_sla_missed",
            f"{incident.id}:{clock.name}",
            f"Incidente #{incident.id} ({incident.priority}): o prazo de {pt} venceu em {due}.",
            f"Incident #{incident.id} ({incident.priority}): the {en} deadline passed at {due}.",
        )
    return added


def update_due(
    conn: sqlite3.Connection, incident: Incident, now: datetime, s: IncidentSettings
) -> bool:
    """The 30-minute update was not posted in time: a reminder, once per due time."""
    assert incident.next_update_due is not None
    due = _local(incident.next_update_due, s.tz)
    added = add_entry(
        conn,
        incident.id,
        now,
        "reminder",
        f"Atualização de status atrasada (era para {due}).",
        f"Status update overdue (it was due at {due}).",
        ref=f"reminder:{incident.next_update_due}",
    )
    if added:
        add_alert(
            conn,
            now,
            "warning",
            "incident_update_due",
            str(incident.id),
            f"Incidente #{incident.id}: a atualização de status era para {due}; publique uma "
            "atualização (a cada 30 min enquanto estiver aberto).",
            f"Incident #{incident.id}: the status update was due at {due}; post an update "
            "(every 30 min while it is open).",
        )
        emit_incident_event(conn, s, incident.id, "update_due", now, incident.next_update_due)
    return added


def record_counts(
    conn: sqlite3.Connection, incident: Incident, now: datetime, s: IncidentSettings
) -> None:
    """What went through since the last count, as one timeline line."""
    since = parse_iso(incident.counts_at or incident.opened_at)
    c = flow_counts(conn, incident.id, since, now)
    add_entry(
        conn,
        incident.id,
        now,
        "counts",
        f"Desde {_local(since, s.tz)}: {c.sends_accepted} envio(s) aceito(s), "
        f"{c.send_failures} falha(s) de envio, {c.webhooks} webhook(s) recebido(s), "
        f"{c.contingency_replies} resposta(s) de contingência.",
        f"Since {_local(since, s.tz)}: {c.sends_accepted} send(s) accepted, "
        f"{c.send_failures} send failure(s), {c.webhooks} webhook(s) received, "
        f"{c.contingency_replies} contingency reply(ies).",
        detail=c.as_json(),
    )
    conn.execute("UPDATE incidents SET counts_at = ? WHERE id = ?", (iso(now), incident.id))
