"""Where each reason of the dashboard's status is fixed: the page (and anchor) a person goes
to, and the key of the sentence that says what to do there (``fix.<key>`` in the gettext
catalogs of recado/locale). Every code ``rules/health.evaluate`` can give has one: a reason
without a way out is a dead end on the morning check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReasonTarget:
    href: str
    fix: str  # the texts key, "fix." + this


TARGETS: dict[str, ReasonTarget] = {
    "whatsapp_auth": ReasonTarget("/connect/whatsapp", "whatsapp_auth"),
    "whatsapp_connection": ReasonTarget("/connect/whatsapp", "whatsapp_connection"),
    "whatsapp_token_expiring": ReasonTarget("/connect/whatsapp", "whatsapp_token_expiring"),
    "storage": ReasonTarget("/dashboard#storage", "storage"),
    "crash_loop": ReasonTarget("/dashboard#actors", "crash_loop"),
    "breaker_open": ReasonTarget("/circuit-breakers", "breaker_open"),
    "dlq": ReasonTarget("/dlq", "dlq"),
    "retry_queue": ReasonTarget("/circuit-breakers", "retry_queue"),
    "event_success": ReasonTarget("/dlq", "event_success"),
    "sync_failures": ReasonTarget("/sync", "sync_failures"),
    "sync_set_aside": ReasonTarget("/sync", "sync_set_aside"),
    "sync_failed": ReasonTarget("/sync", "sync_failed"),
    "config_reload_refused": ReasonTarget("/alerts", "config_reload_refused"),
    "webhooks_failed": ReasonTarget("/webhooks?state=failed", "webhooks_failed"),
    "connection_cap": ReasonTarget("/alerts", "connection_cap"),
    "backup_stale": ReasonTarget("/backups", "backup_stale"),
    "pending_events": ReasonTarget("/circuit-breakers", "pending_events"),
    "no_app_secret": ReasonTarget("/connect/whatsapp", "no_app_secret"),
    "template_problem": ReasonTarget("/templates", "template_problem"),
    "template_sync_failed": ReasonTarget("/templates", "template_sync_failed"),
    "api_version_expiring": ReasonTarget("/connect/whatsapp", "api_version_expiring"),
    "mode_disabled": ReasonTarget("/connect/whatsapp", "mode_disabled"),
    "kill_switch": ReasonTarget("/incidents", "kill_switch"),
    # The WhatsApp side's standing alerts, shown as reasons too (rules/whatsapp_faults).
    "graph_unstable": ReasonTarget("/incidents", "graph_unstable"),
    "whatsapp_throttled": ReasonTarget("/alerts", "whatsapp_throttled"),
    "reminder_window_closed": ReasonTarget("/messages", "reminder_window_closed"),
    "webhook_silence": ReasonTarget("/webhooks", "webhook_silence"),
    "webhook_forged": ReasonTarget("/webhooks", "webhook_forged"),
    "webhook_too_large": ReasonTarget("/webhooks", "webhook_too_large"),
}


def reason_target(code: str) -> ReasonTarget:
    """The target of ``code``; a storage fault's codes (``storage_<kind>``) share one."""
    return TARGETS.get("storage" if code.startswith("storage_") else code, _UNKNOWN)


# A code added to rules/health without a target here: the alerts page, where a person at
# least sees what the daemon raised (tests/test_dashboard_checklist.py fails on it first).
_UNKNOWN = ReasonTarget("/alerts", "unknown")
