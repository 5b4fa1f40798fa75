"""When an incident may be resolved: after ``normal_flow_min`` (30) minutes of normal flow,
as the SOP's closure criteria say, unless an operator forces it with a reason (pure).

Normal flow, checked by the daemon over the facts the monitor gathers:

- the condition that opened the incident no longer fires;
- no real send failed (a 5xx, a timeout, a refusal) since the flow became normal;
- sends Meta accepted are followed by webhooks (statuses arrive): a send accepted more
  than ``WEBHOOK_GRACE`` ago with no webhook after it is not normal;
- and all of this for ``normal_flow_min`` minutes, counted from the latest of: the start of
  the incident, the last failed send, the last time its condition fired.

A quiet half hour (no sends at all, as in ``dry_run``) counts as normal: nothing failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WEBHOOK_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class FlowFacts:
    now: datetime
    incident_started_at: datetime
    cause_active: bool = False
    cause_last_active_at: datetime | None = None
    last_failure_at: datetime | None = None
    first_accepted_after_webhook_at: datetime | None = None  # a real send with no webhook since


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    normal_since: datetime
    ready_at: datetime
    reason_pt: str = ""
    reason_en: str = ""


def _hm(dt: datetime, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def resolution_verdict(f: FlowFacts, normal_flow_s: float, tz: ZoneInfo) -> Verdict:
    marks = [m for m in (f.incident_started_at, f.last_failure_at, f.cause_last_active_at) if m]
    normal_since = max(marks)
    ready_at = normal_since + timedelta(seconds=normal_flow_s)
    if f.cause_active:
        return Verdict(
            False,
            normal_since,
            ready_at,
            "A condição que abriu o incidente ainda está ocorrendo; o fluxo não está normal.",
            "The condition that opened the incident is still present; the flow is not normal.",
        )
    unanswered = f.first_accepted_after_webhook_at
    if unanswered is not None and f.now - unanswered >= WEBHOOK_GRACE:
        at = _hm(unanswered, tz)
        return Verdict(
            False,
            normal_since,
            ready_at,
            f"A Meta aceitou envios desde {at}, mas nenhum webhook chegou depois; o fluxo "
            "ainda não está normal.",
            f"Meta has accepted sends since {at}, but no webhook has arrived since; the flow "
            "is not normal yet.",
        )
    if f.now < ready_at:
        normal_min = int((f.now - normal_since).total_seconds() // 60)
        need = int(normal_flow_s // 60)
        last = (
            f" (última falha de envio em {_hm(f.last_failure_at, tz)})"
            if f.last_failure_at and f.last_failure_at == normal_since
            else ""
        )
        last_en = (
            f" (last failed send at {_hm(f.last_failure_at, tz)})"
            if f.last_failure_at and f.last_failure_at == normal_since
            else ""
        )
        return Verdict(
            False,
            normal_since,
            ready_at,
            f"O fluxo está normal há {normal_min} min{last}; são necessários {need} min antes "
            f"de resolver (a partir de {_hm(ready_at, tz)}), ou force com um motivo.",
            f"The flow has been normal for {normal_min} min{last_en}; {need} min are needed "
            f"before resolving (from {_hm(ready_at, tz)}), or force it with a reason.",
        )
    return Verdict(True, normal_since, ready_at)
