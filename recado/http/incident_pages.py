"""``GET /incidents`` (list, filters) and ``GET /incidents/<id>``: what an incident is, its
SLA clocks with their due times, the next update and its prefilled public note, whether it
may be resolved yet, the diagnosis and actions in the SOP's order, its timeline and its
post-mortem. One data function per page, HTML for people and JSON for scripts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from quart import Quart, Response

from recado.clock import iso, parse_iso
from recado.http.errors import json_error
from recado.http.incident_diagnosis import Diagnosis, diagnose
from recado.http.params import query_choice, query_int, query_optional_int
from recado.http.views import respond
from recado.rules import incident_sla as sla
from recado.rules.status_note import prefill
from recado.runtime.context import Daemon
from recado.runtime.incident_settings import contingency_text, incident_settings
from recado.storage.incident_closing import verdict_for
from recado.storage.incident_queries import incident_detail, list_incidents, open_counts
from recado.storage.incident_records import Incident, IncidentSettings

LIMIT_MAX = 500
STATE_FILTERS = ("active", "open", "mitigated", "resolved")


class IncidentView(msgspec.Struct, frozen=True, kw_only=True):
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
    cause_active: bool
    contingency_on: bool
    public_note: str | None
    public_note_at: str | None
    root_cause: str | None
    corrective_actions: str | None
    forced_reason: str | None


def incident_view(i: Incident) -> IncidentView:
    fields = msgspec.structs.asdict(i)
    for gone in ("counts_at", "updated_at", "cause_last_active_at"):
        fields.pop(gone)
    fields["cause_active"] = bool(i.cause_active)
    fields["contingency_on"] = bool(i.contingency_on)
    return IncidentView(**fields)


class ClockView(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    due_at: str | None
    met_at: str | None
    state: str  # running | met | missed | met_late | waiting


class UpdateView(msgspec.Struct, frozen=True, kw_only=True):
    next_due: str | None
    overdue: bool
    interval_min: float
    prefill: str  # the public note as the SOP's template fills it now; editable


class ResolutionView(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    reason: str
    normal_since: str
    ready_at: str
    normal_flow_min: float


class ContingencyView(msgspec.Struct, frozen=True, kw_only=True):
    on: bool
    configured: bool  # an alternative channel is set (incidents.contingency_contact)
    replies: int
    text: str


class EntryView(msgspec.Struct, frozen=True, kw_only=True):
    at: str
    kind: str
    text: str
    source_ip: str


class PostmortemView(msgspec.Struct, frozen=True, kw_only=True):
    created_at: str
    due_at: str | None
    completed_at: str | None
    lessons_learned: str | None
    summary: dict[str, Any]


class IncidentPage(msgspec.Struct, frozen=True, kw_only=True):
    incident: IncidentView
    clocks: list[ClockView]
    update: UpdateView
    resolution: ResolutionView | None
    contingency: ContingencyView
    diagnosis: Diagnosis | None  # while it is not resolved
    timeline: list[EntryView]
    postmortem: PostmortemView | None
    status_url: str  # the public /status page (public listener)


class IncidentsPage(msgspec.Struct, frozen=True, kw_only=True):
    state: str | None
    severity: str | None
    open: dict[str, int]
    items: list[IncidentView]
    next_before: int | None


def _dt(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _clocks(
    i: Incident, s: IncidentSettings, now: datetime, pm_done: str | None
) -> list[ClockView]:
    times = sla.IncidentTimes(
        opened_at=parse_iso(i.opened_at),
        responded_at=_dt(i.responded_at),
        mitigated_at=_dt(i.mitigated_at),
        resolved_at=_dt(i.resolved_at),
        postmortem_done_at=_dt(pm_done),
    )
    return [
        ClockView(
            name=c.name,
            due_at=iso(c.due_at) if c.due_at else None,
            met_at=iso(c.met_at) if c.met_at else None,
            state=c.state,
        )
        for c in sla.sla_clocks(sla.terms_for(s.sla, i.priority), times, now)
    ]


async def incident_page(daemon: Daemon, incident_id: int) -> IncidentPage | None:
    detail = await daemon.storage.read(incident_detail, incident_id)
    if detail is None:
        return None
    i, now, s = detail.incident, daemon.clock.now(), incident_settings(daemon)
    en = daemon.config.ui.locale == "en"
    resolved = i.state == sla.RESOLVED
    resolution = None
    if not resolved:
        v = await daemon.storage.read(verdict_for, i, now, s)
        resolution = ResolutionView(
            allowed=v.allowed,
            reason=v.reason_en if en else v.reason_pt,
            normal_since=iso(v.normal_since),
            ready_at=iso(v.ready_at),
            normal_flow_min=s.normal_flow_s / 60,
        )
    pm = detail.postmortem
    text = contingency_text(daemon.config)
    return IncidentPage(
        incident=incident_view(i),
        clocks=_clocks(i, s, now, pm.completed_at if pm else None),
        update=UpdateView(
            next_due=i.next_update_due,
            overdue=sla.update_overdue(i.state, _dt(i.next_update_due), now),
            interval_min=s.update_interval_s / 60,
            prefill=prefill(
                title=i.title,
                started_at=parse_iso(i.started_at),
                description=i.description if i.opened_by == "operator" else "",
                cause=i.cause,
                next_update_at=now + timedelta(seconds=s.update_interval_s),
                tz=s.tz,
            ),
        ),
        resolution=resolution,
        contingency=ContingencyView(
            on=bool(i.contingency_on),
            configured=bool(text),
            replies=detail.contingency_replies,
            text=text,
        ),
        diagnosis=None if resolved else await diagnose(daemon),
        timeline=[
            EntryView(
                at=e.at, kind=e.kind, text=e.text_en if en else e.text_pt, source_ip=e.source_ip
            )
            for e in detail.timeline
        ],
        postmortem=None
        if pm is None
        else PostmortemView(
            created_at=pm.created_at,
            due_at=pm.due_at,
            completed_at=pm.completed_at,
            lessons_learned=pm.lessons_learned,
            summary=pm.summary,
        ),
        status_url=daemon.config.http.public_base_url.rstrip("/") + "/status",
    )


def install_incident_pages(app: Quart, daemon: Daemon) -> None:
    @app.get("/incidents")
    @app.get("/incidents.json")
    async def incidents() -> Response:
        state = query_choice("state", STATE_FILTERS)
        severity = query_choice("severity", sla.SEVERITIES)
        limit = query_int("limit", 50, maximum=LIMIT_MAX)
        before = query_optional_int("before")
        rows = await daemon.storage.read(list_incidents, state, severity, limit, before)
        data = IncidentsPage(
            state=state,
            severity=severity,
            open=await daemon.storage.read(open_counts),
            items=[incident_view(r) for r in rows],
            next_before=rows[-1].id if len(rows) == limit else None,
        )
        return await respond("incidents.html", data)

    @app.get("/incidents/<rowid:incident_id>")
    @app.get("/incidents/<rowid:incident_id>.json")
    async def incident(incident_id: int) -> Response:
        page = await incident_page(daemon, incident_id)
        if page is None:
            return json_error(
                404,
                "not_found",
                f"no incident {incident_id}",
                pt=f"não há o incidente {incident_id}",
            )
        return await respond("incident.html", page)
