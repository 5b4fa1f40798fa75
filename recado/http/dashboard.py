"""The dashboard's data: one function for the page, its JSON and ``recado status``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from recado.clock import iso
from recado.http.connect_checklist import connection_facts
from recado.http.hub_pages import sync_overview
from recado.http.i18n import format_local
from recado.rules.health import HealthFacts, connection_state, evaluate
from recado.rules.storage_faults import alert_texts
from recado.runtime.context import Daemon
from recado.storage.alerts import open_alert_count
from recado.storage.deliveries import event_outcomes, hub_counts
from recado.storage.events import unplanned_appointments
from recado.storage.inbox import inbox_counts
from recado.storage.sending import last_accepted_send


def start_of_local_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def dashboard_data(daemon: Daemon) -> dict[str, Any]:
    cfg = daemon.config
    now = daemon.clock.now()
    tz = ZoneInfo(cfg.daemon.timezone)
    today = iso(start_of_local_day(now, tz))
    webhooks = await daemon.storage.read(inbox_counts, today)
    tomorrow = iso(start_of_local_day(now, tz) + timedelta(days=1))
    hub = await daemon.storage.read(hub_counts, iso(now))
    events_today = await daemon.storage.read(event_outcomes, today, tomorrow)
    sync = {
        name: {
            k: job[k] for k in ("last_run", "last_status", "recent_failures", "duration_seconds")
        }
        for name, job in (await sync_overview(daemon)).items()
    }
    breakers = daemon.breakers.snapshot(now)
    alerts_open = await daemon.storage.read(open_alert_count)
    actors = daemon.supervisor.snapshot()
    fault = daemon.storage.fault
    locale = cfg.ui.locale
    # Raised while nothing could be written: shown from memory until storage works again.
    unwritten = []
    for alert in daemon.storage.faults.alerts:
        text_pt, text_en = alert_texts(alert.kind)
        text = text_en if locale == "en" else text_pt
        unwritten.append({"at": iso(alert.since), "code": alert.code, "text": text})
    record, conn_error, conn_warning, checklist = await connection_facts(daemon, now)
    facts = HealthFacts(
        mode=cfg.whatsapp.mode,
        whatsapp_auth_broken=daemon.sending_paused is not None,
        storage_writable=daemon.storage.is_open,
        storage_fault=fault.kind if fault else None,
        storage_fault_since=format_local(fault.since, tz) if fault else "",
        crash_looping_actors=tuple(daemon.supervisor.crash_looping()),
        open_breakers=tuple(n for n, b in breakers.items() if b["state"] != "closed"),
        dlq_total=hub["dead_total"],
        retry_queue_total=hub["retry_total"],
        events_today_total=events_today["total"],
        events_today_processed=events_today["processed"],
        events_today_failed=events_today["failed"],
        sync_recent_failures={n: j["recent_failures"] for n, j in sync.items()},
        pending_events=hub["pending_events"],
        app_secret_configured=bool(cfg.whatsapp.app_secret),
        kill_switch=daemon.kill_switch_on,
        unplanned_appointments=(
            await daemon.storage.read(unplanned_appointments, iso(now))
            if cfg.whatsapp.mode == "disabled"
            else 0
        ),
        connection_error=conn_error,
        connection_warning=conn_warning,
    )
    paused = daemon.sending_paused is not None
    last_accepted = await daemon.storage.read(last_accepted_send)
    connection = connection_state(
        bool(cfg.whatsapp.access_token and cfg.whatsapp.phone_number_id),
        paused,
        last_accepted,
        record["status"] if record else None,
    )
    health = evaluate(facts)
    return {
        "status": health.status,
        "reasons": [
            {"code": r.code, "severity": r.severity, "text": r.text(locale)} for r in health.reasons
        ],
        "whatsapp": {
            "connected": connection == "active",
            "connection": connection,
            "last_accepted_at": last_accepted,
            "mode": cfg.whatsapp.mode,
            "kill_switch": daemon.kill_switch_on,
            "sending_paused": paused,
            "connection_id": record["id"] if record else None,
            "setup": checklist if connection != "active" else None,
        },
        "webhooks": {
            **webhooks,
            "signature_failures": daemon.metrics.count(
                "recado_webhook_requests_total", outcome="bad_signature"
            ),
        },
        # Open alerts include those of a storage fault not written yet (storage.alerts).
        "alerts": {"open": alerts_open + len(unwritten)},
        "events": {"pending": hub["pending_events"], "today": events_today},
        "queues": {
            "retry_queue": {"total": hub["retry_total"], "ready": hub["retry_ready"]},
            "dead_letter": {"total": hub["dead_total"]},
        },
        "sync": sync,
        "breakers": breakers,
        "actors": actors,
        "storage": {
            "schema_version": daemon.storage.schema_version,
            "batches": daemon.storage.stats.batches,
            "writes": daemon.storage.stats.writes,
            "largest_batch": daemon.storage.stats.largest_batch,
            "commit_failures": daemon.storage.stats.commit_failures,
            "fault": None
            if fault is None
            else {
                "kind": fault.kind,
                "since": iso(fault.since),
                "detail": fault.detail,
                "failures": fault.failures,
            },
            "alerts": unwritten,
        },
        "started_at": iso(daemon.started_at),
    }
