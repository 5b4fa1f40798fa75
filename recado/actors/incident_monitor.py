"""The incident monitor: opens incidents by the SOP's trigger rules, keeps their clocks, and
turns alerts into internal events (the alerts' outbox).

On every wake-up (any announced commit) it empties the alerts' outbox; every
``incidents.check_interval_s`` (on the injected clock) it gathers the facts, asks
``rules/incident_triggers.py`` which causes fire, opens or joins their incidents, notes the
causes that cleared, and for each incident checks its SLA clocks, its 30-minute update and
its counts (``rules/incident_sla.py``). With the same facts it keeps the WhatsApp side's
standing alerts (``actors/standing_alerts.py``), also at once after a send that did not end
accepted, since a short fault may be over before the next check. It decides nothing itself.

A trigger whose incident cannot be written (storage itself is the fault) is kept in memory
with the time it was detected and written as soon as storage takes writes again, so a disk
that filled up and came back still leaves its sev1 incident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import trio

from recado.actors.isolation import describe, is_storage_fault
from recado.actors.standing_alerts import keep_standing
from recado.clock import iso, parse_iso
from recado.logs import get_logger
from recado.rules import incident_sla as sla
from recado.rules.incident_triggers import (
    MANUAL,
    Trigger,
    TriggerFacts,
    evaluate,
    restarting_in_a_loop,
)
from recado.runtime.context import Daemon
from recado.runtime.incident_settings import incident_settings, trigger_rules
from recado.storage.alert_outbox import emit_alert_events, pending_alerts
from recado.storage.incident_clocks import clock_missed, record_counts, update_due
from recado.storage.incident_facts import SendFacts, send_facts
from recado.storage.incident_queries import active_incidents, open_counts, overdue_postmortems
from recado.storage.incident_records import Incident
from recado.storage.incidents import cause_cleared, trigger_fired

log = get_logger("incident_monitor")

STORAGE_RETRY_S = 2.0


def _dt(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


@dataclass(frozen=True)
class Detected:
    trigger: Trigger
    at: datetime  # when the monitor first saw it (the incident's opening time)


class IncidentMonitor:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._unwritten: dict[str, Detected] = {}
        self._next_check = -math.inf
        self._done: set[tuple[int, str]] = set()  # clocks and reminders already recorded
        self._wrote = False

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        wakeup = self.daemon.wakeups.incidents
        while True:
            try:
                await self.drain_outbox()
                if trio.current_time() >= self._next_check:
                    self._next_check = (
                        trio.current_time() + self.daemon.config.incidents.check_interval_s
                    )
                    await self.check()
                elif self.daemon.send_trouble:
                    await self.standing()
            except Exception as exc:
                if not is_storage_fault(exc):
                    raise
                log.warning("incident_monitor_storage_fault", error=describe(exc))
                self._next_check = min(self._next_check, trio.current_time() + STORAGE_RETRY_S)
            await wakeup.wait(max(0.0, self._next_check - trio.current_time()))

    async def drain_outbox(self) -> int:
        storage, moved = self.daemon.storage, 0
        while await storage.read(pending_alerts, 1):
            n = await storage.write(
                emit_alert_events, self.daemon.clock.now(), incident_settings(self.daemon)
            )
            moved += n
            if n == 0:
                break
        if moved:
            self.daemon.after_commit("deliveries")
        return moved

    def _facts(self, now: datetime, send: SendFacts | None) -> TriggerFacts:
        d = self.daemon
        paused = d.sending_paused
        fault = d.storage.fault
        t = trio.current_time()
        looping = tuple(
            sorted(
                name
                for name, st in d.supervisor.actors.items()
                if restarting_in_a_loop(
                    st.crash_loop,
                    st.consecutive_failures,
                    st.state == "running",
                    t - (st.last_started or t),
                )
            )
        )
        loop_since = None
        if looping:
            firsts = [d.supervisor.actors[n].failures[0] for n in looping]
            loop_since = now - timedelta(seconds=t - min(firsts))
        base = TriggerFacts(
            now=now,
            mode=d.config.whatsapp.mode,
            auth_broken_since=_dt(paused.get("at")) if paused else None,
            storage_fault=fault.kind if fault else None,
            storage_fault_since=fault.since if fault else None,
            crash_looping=looping,
            crash_loop_since=loop_since,
        )
        if send is None:
            return base
        return replace(
            base,
            graph_failing_since=send.graph_failing_since,
            graph_last_failure_at=send.graph_last_failure_at,
            graph_streak_failures=send.graph_streak_failures,
            first_unanswered_send_at=send.first_unanswered_send_at,
            last_webhook_at=send.last_webhook_at,
            window_sends=send.window_sends,
            window_failures=send.window_failures,
            window_first_failure_at=send.window_first_failure_at,
        )

    async def standing(self) -> list[Trigger]:
        """The triggers that fire now, with the standing alerts kept to the same facts."""
        d, now = self.daemon, self.daemon.clock.now()
        d.send_trouble = False
        window_s = d.config.incidents.failure_window_min * 60
        try:
            send = await d.storage.read(send_facts, now, window_s)
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            send = None  # what is known in memory (storage, actors, auth) still counts
        triggers = evaluate(self._facts(now, send), trigger_rules(d.config))
        if send is not None:
            await keep_standing(d, now, send, triggers)
        return triggers

    async def check(self) -> None:
        """One evaluation: triggers, cleared causes, clocks, counts, metrics."""
        d, now = self.daemon, self.daemon.clock.now()
        cfg = d.config
        s = incident_settings(d)
        triggers = await self.standing()
        firing: list[Trigger] = triggers if cfg.incidents.automatic else []
        active = await self._active()
        # A cause already joined to its open incident needs no write while it keeps firing.
        joined = {i.cause for i in active if i.cause_active}
        for t in firing:
            if t.cause not in joined:
                self._unwritten.setdefault(t.cause, Detected(t, now))
        for cause, found in list(self._unwritten.items()):
            outcome, incident_id = await d.storage.write(trigger_fired, found.trigger, found.at, s)
            del self._unwritten[cause]
            self._wrote = True
            log.warning(
                "incident_" + outcome,
                incident=incident_id,
                cause=cause,
                severity=found.trigger.severity,
            )
            active = await self._active()
        causes = {t.cause for t in firing}
        for incident in active:
            try:
                if (
                    incident.cause != MANUAL
                    and incident.cause_active
                    and incident.cause not in causes
                ):
                    await d.storage.write(cause_cleared, incident.id, now)
                    self._wrote = True
                await self._clocks(incident, now)
            except Exception as exc:
                self._set_aside(incident.id, exc)
        for incident, due in await d.storage.read(overdue_postmortems, iso(now)):
            clock = sla.ClockState("postmortem", parse_iso(due), None, "missed")
            try:
                await self._missed(incident, clock, now)
            except Exception as exc:
                self._set_aside(incident.id, exc)
        counts = await d.storage.read(open_counts)
        for severity in sla.SEVERITIES:
            d.metrics.incidents_open.labels(severity).set(counts.get(severity, 0))
        if self._wrote:
            self._wrote = False
            d.after_commit("deliveries")

    def _set_aside(self, incident_id: int, exc: Exception) -> None:
        """One incident whose clocks cannot be checked (a bug, odd data) never stops the
        others; a storage fault is nobody's and is raised for the loop to wait on."""
        if is_storage_fault(exc):
            raise exc
        log.exception("incident_check_failed", incident=incident_id, error=describe(exc))

    async def _active(self) -> list[Incident]:
        try:
            return await self.daemon.storage.read(active_incidents)
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            return []  # unknown for now: the writes that follow say whether storage works

    async def _clocks(self, incident: Incident, now: datetime) -> None:
        s = incident_settings(self.daemon)
        times = sla.IncidentTimes(
            opened_at=parse_iso(incident.opened_at),
            responded_at=_dt(incident.responded_at),
            mitigated_at=_dt(incident.mitigated_at),
            resolved_at=_dt(incident.resolved_at),
        )
        for clock in sla.sla_clocks(sla.terms_for(s.sla, incident.priority), times, now):
            if clock.state == "missed":
                await self._missed(incident, clock, now)
        due = _dt(incident.next_update_due)
        key = (incident.id, f"reminder:{incident.next_update_due}")
        if sla.update_overdue(incident.state, due, now) and key not in self._done:
            await self.daemon.storage.write(update_due, incident, now, s)
            self._done.add(key)
            self._wrote = True
        counted = parse_iso(incident.counts_at or incident.opened_at)
        if (now - counted).total_seconds() >= s.update_interval_s:
            await self.daemon.storage.write(record_counts, incident, now, s)
            self._wrote = True

    async def _missed(self, incident: Incident, clock: sla.ClockState, now: datetime) -> None:
        key = (incident.id, f"sla:{clock.name}")
        if key in self._done:
            return
        s = incident_settings(self.daemon)
        await self.daemon.storage.write(clock_missed, incident, clock, now, s)
        self._done.add(key)
        self._wrote = True
