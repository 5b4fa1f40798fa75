"""The dashboard's data: one function for the page, its JSON and ``recado status``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from recado.clock import iso
from recado.daemon.context import Daemon
from recado.rules.health import HealthFacts, evaluate
from recado.storage.inbox import inbox_counts


def start_of_local_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def dashboard_data(daemon: Daemon) -> dict[str, Any]:
    cfg = daemon.config
    now = daemon.clock.now()
    tz = ZoneInfo(cfg.daemon.timezone)
    today = iso(start_of_local_day(now, tz))
    webhooks = await daemon.storage.read(inbox_counts, today)
    actors = daemon.supervisor.snapshot()
    facts = HealthFacts(
        mode=cfg.whatsapp.mode,
        whatsapp_auth_broken=bool(daemon.sender and daemon.sender.paused),
        storage_writable=daemon.storage.is_open,
        crash_looping_actors=tuple(daemon.supervisor.crash_looping()),
        open_breakers=(),
        dlq_total=0,
        retry_queue_total=0,
        events_today_total=0,
        events_today_processed=0,
        events_today_failed=0,
        sync_recent_failures={},
        pending_events=0,
        app_secret_configured=bool(cfg.whatsapp.app_secret),
        kill_switch=daemon.kill_switch_on,
    )
    health = evaluate(facts)
    locale = cfg.ui.locale
    return {
        "status": health.status,
        "reasons": [
            {"code": r.code, "severity": r.severity, "text": r.text(locale)} for r in health.reasons
        ],
        "whatsapp": {
            "connected": False,
            "mode": cfg.whatsapp.mode,
            "kill_switch": daemon.kill_switch_on,
            "sending_paused": bool(daemon.sender and daemon.sender.paused),
        },
        "webhooks": {
            **webhooks,
            "signature_failures": daemon.metrics.count(
                "recado_webhook_requests_total", outcome="bad_signature"
            ),
        },
        "actors": actors,
        "storage": {
            "schema_version": daemon.storage.schema_version,
            "batches": daemon.storage.stats.batches,
            "writes": daemon.storage.stats.writes,
            "largest_batch": daemon.storage.stats.largest_batch,
            "commit_failures": daemon.storage.stats.commit_failures,
        },
        "started_at": iso(daemon.started_at),
    }
