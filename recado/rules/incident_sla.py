"""The support runbook's clocks on an incident: priority, SLA deadlines, the 30-minute
update cadence (pure; times are arguments).

Priorities (the runbook's P1–P4, the config's ``[incidents.sla]`` may change the numbers):

====  ==========  ==========  ===========
      response    workaround  post-mortem
====  ==========  ==========  ===========
P1    15 min      1 h         72 h
P2    30 min      4 h         7 days
P3    4 h         48 h        —
P4    48 h        —           —
====  ==========  ==========  ===========

P1 is sev1; P2 (the default), P3 and P4 are sev2. The response clock stops at the first
thing a person does on the incident (opening it by hand counts), the workaround clock when it
is mitigated or resolved, the post-mortem clock (from the resolution) when the lessons learned
are recorded. A clock that runs past its due time is ``missed`` — once, and the monitor raises
one alert for it. While an incident is open an update is due ``update_interval`` after the
last one (the opening counts as the first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

PRIORITIES = ("P1", "P2", "P3", "P4")
SEVERITIES = ("sev1", "sev2")
CLOCKS = ("response", "workaround", "postmortem")
OPEN, MITIGATED, RESOLVED = "open", "mitigated", "resolved"
STATES = (OPEN, MITIGATED, RESOLVED)


@dataclass(frozen=True)
class SlaTerms:
    """Minutes to respond and to a workaround, hours to the post-mortem; None: not tracked."""

    response_min: float | None
    workaround_min: float | None
    postmortem_h: float | None


DEFAULT_SLA: dict[str, SlaTerms] = {
    "P1": SlaTerms(15, 60, 72),
    "P2": SlaTerms(30, 240, 168),
    "P3": SlaTerms(240, 2880, None),
    "P4": SlaTerms(2880, None, None),
}


def default_priority(severity: str) -> str:
    return "P1" if severity == "sev1" else "P2"


def priority_problem(severity: str, priority: str) -> str | None:
    """Why the pair does not go together, or None."""
    if severity not in SEVERITIES:
        return f'severity: "{severity}" is not allowed (expected sev1 or sev2)'
    if priority not in PRIORITIES:
        return f'priority: "{priority}" is not allowed (expected one of: P1, P2, P3, P4)'
    if (severity == "sev1") != (priority == "P1"):
        return "priority: P1 goes with sev1 and P2–P4 with sev2"
    return None


@dataclass(frozen=True)
class ClockState:
    name: str  # response | workaround | postmortem
    due_at: datetime | None  # None: not started yet (a post-mortem before the resolution)
    met_at: datetime | None
    state: str  # running | met | missed | met_late | waiting

    @property
    def missed(self) -> bool:
        return self.state in ("missed", "met_late")


@dataclass(frozen=True)
class IncidentTimes:
    opened_at: datetime
    responded_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    postmortem_done_at: datetime | None = None


def _clock(
    name: str, start: datetime | None, terms_s: float | None, met: datetime | None, now: datetime
) -> ClockState | None:
    if terms_s is None:
        return None
    if start is None:
        return ClockState(name, None, None, "waiting")
    due = start + timedelta(seconds=terms_s)
    if met is not None:
        return ClockState(name, due, met, "met" if met <= due else "met_late")
    return ClockState(name, due, None, "missed" if now > due else "running")


def sla_clocks(terms: SlaTerms, t: IncidentTimes, now: datetime) -> list[ClockState]:
    """Each tracked clock of the priority, with its due time and where it stands."""
    workaround_met = t.mitigated_at or t.resolved_at
    out = [
        _clock(
            "response",
            t.opened_at,
            None if terms.response_min is None else terms.response_min * 60,
            t.responded_at,
            now,
        ),
        _clock(
            "workaround",
            t.opened_at,
            None if terms.workaround_min is None else terms.workaround_min * 60,
            workaround_met,
            now,
        ),
        _clock(
            "postmortem",
            t.resolved_at,
            None if terms.postmortem_h is None else terms.postmortem_h * 3600,
            t.postmortem_done_at,
            now,
        ),
    ]
    return [c for c in out if c is not None]


def postmortem_due(terms: SlaTerms, resolved_at: datetime) -> datetime | None:
    if terms.postmortem_h is None:
        return None
    return resolved_at + timedelta(hours=terms.postmortem_h)


def next_update_due(last_update_at: datetime, interval_s: float) -> datetime:
    return last_update_at + timedelta(seconds=interval_s)


def update_overdue(state: str, due: datetime | None, now: datetime) -> bool:
    """An update reminder is due: the incident is not resolved and its update time passed."""
    return state != RESOLVED and due is not None and now >= due


def terms_for(table: Mapping[str, SlaTerms], priority: str) -> SlaTerms:
    return table.get(priority) or DEFAULT_SLA[priority]
