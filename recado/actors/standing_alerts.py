"""The WhatsApp side's standing alerts, kept by the incident monitor on every check: it
gathers the facts, ``rules/whatsapp_faults.standing`` says which alerts must be open, and one
write raises the missing ones and resolves those whose fault cleared."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import trio

from recado.logs import get_logger
from recado.rules import whatsapp_faults as wf
from recado.rules.health import template_problem_texts
from recado.rules.incident_triggers import Trigger
from recado.runtime.context import Daemon
from recado.runtime.template_checks import all_checks
from recado.storage.alerts import keep_standing_alerts
from recado.storage.incident_facts import SendFacts
from recado.storage.whatsapp_fault_facts import throttle_facts

log = get_logger("incident_monitor")


def _episode(watch: wf.RefusalWatch, now: datetime, mono: float) -> wf.Episode | None:
    if not watch.active(mono) or watch.episode_since is None:
        return None
    since = now - timedelta(seconds=mono - watch.episode_since)
    return wf.Episode(since, watch.episode_count, watch.largest)


async def keep_standing(
    daemon: Daemon, now: datetime, send: SendFacts, triggers: list[Trigger]
) -> None:
    throttle = await daemon.storage.read(throttle_facts, now)
    silence = next((t for t in triggers if t.cause == "webhook_silence"), None)
    mono = trio.current_time()
    facts = wf.FaultFacts(
        now=now,
        tz=ZoneInfo(daemon.config.daemon.timezone),
        graph_failing_since=send.graph_failing_since,
        graph_last_failure_at=send.graph_last_failure_at,
        graph_streak_failures=send.graph_streak_failures,
        graph_streak_timeouts=send.graph_streak_timeouts,
        throttled_since=throttle.throttled_since,
        throttled_streak=throttle.throttled_streak,
        window_closed_templates=throttle.window_closed_templates,
        window_closed_last_at=throttle.window_closed_last_at,
        silence=(silence.evidence_pt, silence.evidence_en) if silence else None,
        forged=_episode(daemon.forged_webhooks, now, mono),
        too_large=_episode(daemon.oversized_webhooks, now, mono),
        max_body_bytes=daemon.config.http.max_body_bytes,
        template_problems=tuple(
            (c.key, *template_problem_texts(c.problems[0].pt_br, c.problems[0].en))
            for c in await all_checks(daemon)
            if c.problems
        ),
    )
    wanted = [(a.code, a.subject, a.severity, a.pt_br, a.en) for a in wf.standing(facts)]
    raised, resolved = await daemon.storage.write(keep_standing_alerts, now, wf.CODES, wanted)
    if raised or resolved:
        log.info("standing_alerts", raised=raised, resolved=resolved)
        daemon.after_commit("deliveries")
