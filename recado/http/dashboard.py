"""The dashboard's data: one function for the page, its JSON and ``recado status``
(docs/reference.md §9.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import trio

from recado.clock import iso, parse_iso
from recado.http.backup_pages import backups_data
from recado.http.connect_checklist import connection_facts
from recado.http.dashboard_glance import (
    OPEN_ALERTS_SHOWN,
    AlertLine,
    ChartDay,
    CheckLine,
    TodayGlance,
    alert_line,
    chart_days,
    check_lines,
    day_of,
    spans_iso,
    today_glance,
)
from recado.http.database_glance import DatabaseGlance, database_glance
from recado.http.i18n import format_local, page_locale, studio_zone, translate
from recado.rules import day_counts as dc
from recado.rules.backup_schedule import stale_texts
from recado.rules.health import HealthFacts, connection_state, evaluate
from recado.rules.locale import pick
from recado.rules.morning_checklist import SyncJobFacts, morning_checklist
from recado.rules.reason_links import reason_target
from recado.rules.storage_faults import alert_texts
from recado.rules.whatsapp_faults import DASHBOARD_CODES
from recado.runtime.context import Daemon
from recado.runtime.health import runtime_facts
from recado.runtime.template_checks import all_checks
from recado.storage import sync as sq
from recado.storage.alerts import (
    filtered_alerts,
    open_alert_count,
    open_alerts_in,
    open_critical_count,
)
from recado.storage.counts import EventOutcomes, hub_counts
from recado.storage.dashboard_counts import spans_counts
from recado.storage.events import unplanned_appointments
from recado.storage.inbox import inbox_counts
from recado.storage.sending import last_accepted_send
from recado.storage.templates import sync_state


class HealthReason(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    severity: str  # critical | degraded | paused | info
    text: str
    # What to do about it, and the page (and anchor) where it is done (rules/reason_links).
    fix: str
    href: str


class SetupStep(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # app | flag | connect | mode
    done: bool


class WhatsAppGlance(msgspec.Struct, frozen=True, kw_only=True):
    connected: bool
    # not_configured | configured | active | error | connecting | disconnected
    connection: str
    last_accepted_at: str | None
    mode: str
    kill_switch: bool
    sending_paused: bool
    # The Embedded Signup connection in force, and the setup checklist until it is active.
    connection_id: int | None = None
    setup: list[SetupStep] | None = None


class WebhookGlance(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    failed: int
    received_today: int
    rejected_today: int
    signature_failures: int  # since the daemon started


class AlertGlance(msgspec.Struct, frozen=True, kw_only=True):
    open: int
    critical: int  # of the open ones
    # The newest open ones (up to 20), each linked to what it is about.
    items: list[AlertLine] = msgspec.field(default_factory=list)


class EventGlance(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    today: EventOutcomes


class RetryQueue(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    ready: int


class DeadLetters(msgspec.Struct, frozen=True, kw_only=True):
    total: int


class Queues(msgspec.Struct, frozen=True, kw_only=True):
    retry_queue: RetryQueue
    dead_letter: DeadLetters


class SyncGlance(msgspec.Struct, frozen=True, kw_only=True):
    last_run: str | None
    last_status: str | None
    recent_failures: int
    duration_seconds: float | None


class FaultGlance(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    since: str
    detail: str
    failures: int


class UnwrittenAlert(msgspec.Struct, frozen=True, kw_only=True):
    at: str
    code: str
    text: str


class StorageGlance(msgspec.Struct, frozen=True, kw_only=True):
    schema_version: int | None
    batches: int
    writes: int
    largest_batch: int
    commit_failures: int
    fault: FaultGlance | None
    # Raised while nothing could be written: shown from memory until storage works again.
    alerts: list[UnwrittenAlert]


class Dashboard(msgspec.Struct, frozen=True, kw_only=True):
    status: str  # healthy | degraded | critical | paused
    reasons: list[HealthReason]
    # The operations guide's morning check, item by item.
    checklist: list[CheckLine]
    # The studio's day so far, and the 14 days ending today (from the daily counters).
    today: TodayGlance
    chart: list[ChartDay]
    whatsapp: WhatsAppGlance
    webhooks: WebhookGlance
    alerts: AlertGlance
    events: EventGlance
    queues: Queues
    sync: dict[str, SyncGlance]
    breakers: dict[str, dict[str, Any]]
    actors: dict[str, dict[str, Any]]
    storage: StorageGlance
    database: DatabaseGlance
    started_at: str


def start_of_local_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def dashboard_data(daemon: Daemon) -> Dashboard:
    cfg = daemon.config
    read = daemon.storage.read
    now = daemon.clock.now()
    tz, locale = studio_zone(daemon), page_locale(daemon)
    today = iso(start_of_local_day(now, tz))
    day = day_of(now, tz)
    inbox = await read(inbox_counts, today)
    hub = await read(hub_counts, iso(now))
    # One read of the counters for the chart's 14 days; today is the last of them.
    days = dc.by_day(await read(spans_counts, spans_iso(day, tz)), day)
    today_counts = today_glance(days[-1])
    ev = today_counts.events
    events_today = EventOutcomes(total=ev.total, processed=ev.processed, failed=ev.failed)
    summaries = await read(sq.summary, [j.name for j in cfg.sync], now)
    sync = {
        name: SyncGlance(
            last_run=s.last_run,
            last_status=s.last_status,
            recent_failures=s.recent_failures,
            duration_seconds=s.duration_seconds,
        )
        for name, s in summaries.items()
    }
    breakers = daemon.breakers.snapshot(now)
    alerts_open = await read(open_alert_count)
    alerts_critical = await read(open_critical_count)
    open_alerts = await read(filtered_alerts, "open", None, OPEN_ALERTS_SHOWN)
    runtime = runtime_facts(daemon)
    fault = daemon.storage.fault
    unwritten = [
        UnwrittenAlert(at=iso(a.since), code=a.code, text=pick(locale, *alert_texts(a.kind)))
        for a in daemon.storage.faults.alerts
    ]
    paused = daemon.sending_paused is not None
    record, conn_error, conn_warning, checklist = await connection_facts(daemon, now)
    checks = await all_checks(daemon)
    last_sync = (await read(sync_state)).last
    backups = await backups_data(daemon)
    facts = HealthFacts(
        mode=cfg.whatsapp.mode,
        whatsapp_auth_broken=paused,
        storage_writable=runtime.storage_open,
        storage_fault=fault.kind if fault else None,
        storage_fault_since=format_local(fault.since, tz) if fault else "",
        crash_looping_actors=runtime.crash_looping,
        open_breakers=tuple(n for n, b in breakers.items() if b["state"] != "closed"),
        dlq_total=hub.dead_total,
        retry_queue_total=hub.retry_total,
        events_today_total=events_today.total,
        events_today_processed=events_today.processed,
        events_today_failed=events_today.failed,
        sync_recent_failures={n: s.recent_failures for n, s in sync.items()},
        sync_last_failed={
            n: s.last_error or "" for n, s in summaries.items() if s.last_status == "failed"
        },
        reload_refused=tuple(daemon.reload_refused) if daemon.reload_refused is not None else None,
        config_path=str(daemon.config_path),
        sync_set_aside={
            j.name: problem
            for j in cfg.sync
            if (problem := daemon.commands.sync.problem(j.name)) is not None
        },
        webhooks_failed=inbox.failed,
        pending_events=hub.pending_events,
        app_secret_configured=bool(cfg.whatsapp.app_secret),
        kill_switch=daemon.kill_switch_on,
        unplanned_appointments=(
            await read(unplanned_appointments, iso(now)) if cfg.whatsapp.mode == "disabled" else 0
        ),
        connection_error=conn_error,
        connection_warning=conn_warning,
        template_problems=tuple(
            (c.problems[0].pt_br, c.problems[0].en) for c in checks if c.problems
        ),
        template_sync_failed=(
            (last_sync.error_pt or "", last_sync.error_en or "")
            if last_sync is not None and last_sync.outcome == "failed"
            else None
        ),
        api_version=cfg.whatsapp.api_version,
        today=now.astimezone(tz).date(),
        connection_caps_hit=tuple(
            (name, policy.cap)
            for name, policy in daemon.connection_caps.items()
            if policy.hit_recently(trio.current_time())
        ),
        backup_stale=stale_texts(
            parse_iso(backups.last_good_at) if backups.last_good_at else None, tz
        )
        if backups.stale
        else None,
        standing_alerts=tuple(
            (a.code, a.text_pt, a.text_en) for a in await read(open_alerts_in, DASHBOARD_CODES)
        ),
    )
    last_accepted = await read(last_accepted_send)
    connection = connection_state(
        bool(cfg.whatsapp.access_token and cfg.whatsapp.phone_number_id),
        paused,
        last_accepted,
        record["status"] if record else None,
    )
    health = evaluate(facts)
    stats = daemon.storage.stats
    morning = morning_checklist(
        status=health.status,
        reasons=len(health.reasons),
        connection=connection,
        critical_alerts=alerts_critical + len(unwritten),
        dlq_total=hub.dead_total,
        sync_jobs=[_sync_facts(j.name, j.schedule, summaries.get(j.name)) for j in cfg.sync],
        now=now,
        tz=tz,
    )
    return Dashboard(
        status=health.status,
        reasons=[_reason(r.code, r.severity, r.text(locale), locale) for r in health.reasons],
        checklist=check_lines(morning, locale, tz),
        today=today_counts,
        chart=chart_days(days),
        whatsapp=WhatsAppGlance(
            connected=connection == "active",
            connection=connection,
            last_accepted_at=last_accepted,
            mode=cfg.whatsapp.mode,
            kill_switch=daemon.kill_switch_on,
            sending_paused=paused,
            connection_id=record["id"] if record else None,
            setup=[SetupStep(key=k, done=d) for k, d in checklist]
            if connection != "active"
            else None,
        ),
        webhooks=WebhookGlance(
            **msgspec.structs.asdict(inbox),
            signature_failures=daemon.metrics.count(
                "recado_webhook_requests_total", outcome="bad_signature"
            ),
        ),
        # Open alerts include those of a storage fault not written yet (storage.alerts).
        alerts=AlertGlance(
            open=alerts_open + len(unwritten),
            critical=alerts_critical + len(unwritten),
            items=[alert_line(a, locale) for a in open_alerts],
        ),
        events=EventGlance(pending=hub.pending_events, today=events_today),
        queues=Queues(
            retry_queue=RetryQueue(total=hub.retry_total, ready=hub.retry_ready),
            dead_letter=DeadLetters(total=hub.dead_total),
        ),
        sync=sync,
        breakers=breakers,
        actors=daemon.supervisor.snapshot(),
        storage=StorageGlance(
            schema_version=daemon.storage.schema_version,
            batches=stats.batches,
            writes=stats.writes,
            largest_batch=stats.largest_batch,
            commit_failures=stats.commit_failures,
            fault=None
            if fault is None
            else FaultGlance(
                kind=fault.kind,
                since=iso(fault.since),
                detail=fault.detail,
                failures=fault.failures,
            ),
            alerts=unwritten,
        ),
        database=await database_glance(daemon),
        started_at=iso(daemon.started_at),
    )


def _reason(code: str, severity: str, text: str, locale: str) -> HealthReason:
    target = reason_target(code)
    return HealthReason(
        code=code,
        severity=severity,
        text=text,
        fix=translate(locale, f"fix.{target.fix}"),
        href=target.href,
    )


def _sync_facts(name: str, schedule: str, s: sq.SyncSummary | None) -> SyncJobFacts:
    last_run = parse_iso(s.last_run) if s is not None and s.last_run else None
    return SyncJobFacts(name, schedule, last_run, s.last_status if s is not None else None)
