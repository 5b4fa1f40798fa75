"""Which message jobs an appointment event plans and cancels (docs/reference.md §6.2).

- One job per ``(kind, appointment_id, starts_at)``: a repeated event plans nothing new.
- ``created``: the notice now and the reminder at ``starts_at − reminder_hours_before``
  (unless that moment has passed); neither when ``notify_client`` is false, since a reminder
  notifies the client as much as the notice does.
- ``rescheduled``: queued jobs for the old time are canceled; notice and reminder are planned
  for the new time as for ``created``.
- ``canceled``: every queued job of the appointment is canceled; with ``notify_client`` a
  cancellation notice is planned now (whether it may go out, the 24 h window, is decided when
  it is sent, not here).
- mode ``disabled``: no jobs at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from recado.rules import kinds
from recado.rules.message_identity import message_id

NOTICE = kinds.APPOINTMENT_CREATED
REMINDER = kinds.APPOINTMENT_REMINDER
CANCELED = kinds.APPOINTMENT_CANCELED


@dataclass(frozen=True)
class JobSpec:
    id: str
    kind: str
    due_at: datetime


@dataclass(frozen=True)
class JobPlan:
    create: list[JobSpec]
    cancel_other_times: bool  # cancel queued jobs whose starts_at differs from the new one
    cancel_all: bool


def job_id(kind: str, appointment_id: str, starts_at: datetime) -> str:
    """Deterministic, so the dedupe key and the id agree and a rerun plans the same row."""
    return message_id(kind, appointment_id, starts_at.isoformat())


def plan_jobs(
    event_type: str,
    appointment_id: str,
    starts_at: datetime,
    notify_client: bool,
    now: datetime,
    reminder_hours_before: float,
    mode: str,
) -> JobPlan:
    if mode == "disabled":
        return JobPlan(
            [],
            cancel_other_times=event_type == kinds.APPOINTMENT_RESCHEDULED_EVENT,
            cancel_all=event_type == kinds.APPOINTMENT_CANCELED_EVENT,
        )
    if event_type == kinds.APPOINTMENT_CANCELED_EVENT:
        create = (
            [JobSpec(job_id(CANCELED, appointment_id, starts_at), CANCELED, now)]
            if (notify_client)
            else []
        )
        return JobPlan(create, cancel_other_times=False, cancel_all=True)
    create = []
    if notify_client:
        create.append(JobSpec(job_id(NOTICE, appointment_id, starts_at), NOTICE, now))
        remind_at = starts_at - timedelta(hours=reminder_hours_before)
        if remind_at > now:
            create.append(JobSpec(job_id(REMINDER, appointment_id, starts_at), REMINDER, remind_at))
    return JobPlan(
        create,
        cancel_other_times=event_type == kinds.APPOINTMENT_RESCHEDULED_EVENT,
        cancel_all=False,
    )
