"""The operations guide's morning (and evening) check as facts the dashboard lists, each
true or false with why: the daemon healthy, WhatsApp connected, no critical alert open,
fewer than ``DLQ_DEGRADED`` dead letters, and last night's sync jobs ran.

"Last night's run" of a job is its latest scheduled fire at or before now (its cron, in the
studio's zone): the job ran when a run started at or after that fire and ended done. A job
whose schedule has no fire to give fails the item (it never runs on its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from recado.rules.health import DLQ_DEGRADED
from recado.rules.schedule import ScheduleError, latest_fire


@dataclass(frozen=True)
class SyncJobFacts:
    name: str
    schedule: str
    last_run: datetime | None  # when its latest run started
    last_status: str | None  # running | done | failed


@dataclass(frozen=True)
class SyncJobCheck:
    name: str
    # ran | running (since the fire, not done yet) | failed | missed (no run since the
    # fire) | schedule (no fire to give)
    outcome: str
    fire: datetime | None


@dataclass(frozen=True)
class CheckItem:
    key: str  # healthy | whatsapp | critical_alerts | dlq | sync
    ok: bool
    why: str  # the texts key of the short why, "check.<key>.<why>"
    count: int = 0  # the number the why speaks of (reasons, alerts, items, jobs)
    href: str = "/dashboard"
    jobs: tuple[SyncJobCheck, ...] = field(default=())


def sync_job_check(job: SyncJobFacts, now: datetime, tz: ZoneInfo) -> SyncJobCheck:
    try:
        fire = latest_fire(job.schedule, now, tz)
    except ScheduleError:
        return SyncJobCheck(job.name, "schedule", None)
    if job.last_run is None or job.last_run < fire:
        return SyncJobCheck(job.name, "missed", fire)
    if job.last_status == "done":
        return SyncJobCheck(job.name, "ran", fire)
    return SyncJobCheck(job.name, "running" if job.last_status == "running" else "failed", fire)


def morning_checklist(
    *,
    status: str,
    reasons: int,
    connection: str,
    critical_alerts: int,
    dlq_total: int,
    sync_jobs: list[SyncJobFacts],
    now: datetime,
    tz: ZoneInfo,
) -> list[CheckItem]:
    healthy = status == "healthy"
    jobs = tuple(sync_job_check(j, now, tz) for j in sync_jobs)
    late = tuple(j for j in jobs if j.outcome != "ran")
    if not jobs:
        sync = CheckItem("sync", True, "check.sync.none", href="/sync")
    elif late:
        sync = CheckItem("sync", False, "check.sync.late", len(late), "/sync", late)
    else:
        sync = CheckItem("sync", True, "check.sync.ran", len(jobs), "/sync", jobs)
    return [
        CheckItem(
            "healthy",
            healthy,
            "check.healthy.ok" if healthy else f"check.healthy.{status}",
            reasons,
            "/dashboard#reasons" if reasons else "/dashboard",
        ),
        CheckItem(
            "whatsapp",
            connection == "active",
            f"check.whatsapp.{connection}",
            href="/connect/whatsapp",
        ),
        CheckItem(
            "critical_alerts",
            critical_alerts == 0,
            "check.critical.none" if critical_alerts == 0 else "check.critical.open",
            critical_alerts,
            "/alerts?severity=critical",
        ),
        CheckItem(
            "dlq",
            dlq_total < DLQ_DEGRADED,
            "check.dlq.few" if dlq_total < DLQ_DEGRADED else "check.dlq.many",
            dlq_total,
            "/dlq",
        ),
        sync,
    ]
