"""The ``[incidents]`` config as the incident rules and writes take it, read afresh from the
config in force (a reload applies it at the next evaluation)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from recado.config import Config
from recado.rules.business_hours import parse_business_hours
from recado.rules.contingency import reply_text
from recado.rules.incident_sla import SlaTerms
from recado.rules.incident_triggers import TriggerRules
from recado.runtime.context import Daemon
from recado.storage.incident_records import IncidentSettings


def operator_url(daemon: Daemon) -> str:
    """Where people open the operator pages."""
    return daemon.config.http.operator_base_url or daemon.listeners["operator"].url or ""


def sla_table(cfg: Config) -> dict[str, SlaTerms]:
    return {
        name: SlaTerms(p.response_min or None, p.workaround_min or None, p.postmortem_h or None)
        for name, p in cfg.incidents.sla.items()
    }


def incident_settings(daemon: Daemon) -> IncidentSettings:
    cfg = daemon.config
    return IncidentSettings(
        tz=ZoneInfo(cfg.daemon.timezone),
        update_interval_s=cfg.incidents.update_interval_min * 60,
        normal_flow_s=cfg.incidents.normal_flow_min * 60,
        flows=daemon.flows,
        sla=sla_table(cfg),
        operator_url=operator_url(daemon),
    )


def trigger_rules(cfg: Config) -> TriggerRules:
    inc = cfg.incidents
    return TriggerRules(
        graph_failure_s=inc.graph_failure_min * 60,
        webhook_silence_s=inc.webhook_silence_min * 60,
        failure_rate=inc.failure_rate_percent / 100,
        failure_window_s=inc.failure_window_min * 60,
        failure_min_sends=inc.failure_min_sends,
        business_hours=parse_business_hours(inc.business_hours),
        tz=ZoneInfo(cfg.daemon.timezone),
    )


def contingency_text(cfg: Config) -> str:
    """The reply's text, or "" while no alternative channel is configured."""
    inc = cfg.incidents
    if not inc.contingency_contact:
        return ""
    return reply_text(inc.contingency_text, inc.contingency_channel, inc.contingency_contact)
