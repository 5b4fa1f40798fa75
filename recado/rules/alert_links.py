"""The page an alert is about, from its code and subject alone (the dashboard and the
alerts page link each alert there): a message, an appointment, a breaker, the WhatsApp
connection, the backups, an incident, the sync jobs, the actors, the audit log. None when
the alert names no object a page shows (the listener's connection cap, a storage fault: the
dashboard tells)."""

from __future__ import annotations

from urllib.parse import quote

from recado.rules import whatsapp_faults as wf
from recado.rules.system_alerts import CRASH_LOOP, RELOAD_REFUSED, SYNC_FAILED

# Failures of a message's sends and statuses carry the message as subject.
_MESSAGE_PREFIXES = ("graph_", "http_", "transport_")
# The WhatsApp connection and its signup (Embedded Signup, its syncs, the token).
_CONNECTION_CODES = frozenset({"whatsapp_auth", "whatsapp_signup_error_rate"})
_CONNECTION_SUBJECTS = ("whatsapp_connection:", "whatsapp_signup", "whatsapp")
_INCIDENT_CODES = frozenset({"incident_open", "incident_update_due", "incident_sla_missed"})
# The WhatsApp side's standing alerts (rules/whatsapp_faults) by the page that shows them.
_WHATSAPP_FAULT_PAGES = {
    wf.SILENCE: "/webhooks",
    wf.FORGED: "/webhooks",
    wf.TOO_LARGE: "/webhooks",
    wf.WINDOW_CLOSED: "/messages",
    wf.TEMPLATE_PROBLEM: "/templates",
    wf.GRAPH_UNSTABLE: "/connect/whatsapp",
    wf.THROTTLED: "/connect/whatsapp",
}


def _part(value: str) -> str:
    return quote(value, safe="")


def alert_href(code: str, subject: str) -> str | None:
    """Where a person fixes or reads more about the alert ``code`` raised for ``subject``."""
    if code in _INCIDENT_CODES:
        # incident_sla_missed's subject is "<id>:<clock>".
        incident = subject.partition(":")[0]
        return f"/incidents/{incident}" if incident.isdigit() else "/incidents"
    if code in _WHATSAPP_FAULT_PAGES:
        return _WHATSAPP_FAULT_PAGES[code]
    if code == "breaker_open":
        return f"/circuit-breakers#breaker-{_part(subject)}" if subject else "/circuit-breakers"
    if code == "backup_stale":
        return "/backups"
    if code == SYNC_FAILED:
        return "/sync"
    if code == CRASH_LOOP:
        return "/dashboard#actors"
    if code == RELOAD_REFUSED:
        # The refused reload is in the audit log with every problem it named.
        return "/audit"
    if code in _CONNECTION_CODES or subject.startswith(_CONNECTION_SUBJECTS):
        return "/connect/whatsapp"
    if code.startswith("button_"):
        # A client's tap on a button of an appointment's message.
        return f"/appointments/{_part(subject)}" if subject else None
    if code == "jobs_planned_late":
        return "/messages"
    if code.startswith(_MESSAGE_PREFIXES) and subject:
        return f"/messages/{_part(subject)}"
    return None
