"""The circuit breakers of the studio's services, shared by the parts that use them.

``BreakerBoard`` keeps each service's breaker (``rules/breaker.py``) in memory, loaded from
the database at start so an open breaker survives a restart. The delivery worker asks it
before each delivery and reports each outcome; the breaker monitor moves open breakers to
half-open on time; the pages read its snapshot and reset a breaker. Every change of state is
saved with the attempt that caused it, logged, and wakes the monitor and the delivery worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recado.clock import Clock, iso, parse_iso
from recado.config import BreakerSettings
from recado.logs import get_logger
from recado.rules import breaker as br
from recado.runtime.wakeup import Wakeups
from recado.storage.actor import Storage
from recado.storage.deliveries import load_breakers
from recado.storage.operator_actions import reset_breaker

log = get_logger("breakers")


class BreakerBoard:
    def __init__(
        self,
        settings: dict[str, BreakerSettings],
        storage: Storage,
        clock: Clock,
        wakeups: Wakeups,
    ) -> None:
        self.settings = settings
        self.states: dict[str, br.Breaker] = {name: br.Breaker() for name in settings}
        self._storage = storage
        self._clock = clock
        self._wakeups = wakeups

    async def load(self) -> None:
        rows = await self._storage.read(load_breakers)
        for name, row in rows.items():
            if name in self.states:
                opened = parse_iso(row.opened_at) if row.opened_at else None
                self.states[name] = br.Breaker(row.state, row.failure_count, opened)
                if row.state != br.CLOSED:
                    log.warning("breaker_restored", service=name, state=row.state, opened_at=opened)

    def blocked(self, now: datetime) -> tuple[str, ...]:
        """Services whose deliveries must wait right now."""
        out = []
        for name, b in self.states.items():
            ok, _ = br.admit(b, now, self.settings[name].open_s)
            if not ok:
                out.append(name)
        return tuple(sorted(out))

    def admit(self, service: str, now: datetime) -> bool:
        before = self.states[service]
        ok, after = br.admit(before, now, self.settings[service].open_s)
        self.change(service, before, after)
        return ok

    def outcome(self, service: str, failed: bool, now: datetime) -> br.Breaker:
        """The breaker after a delivery's outcome (the caller saves it with the attempt)."""
        before = self.states[service]
        if failed:
            after = br.on_failure(before, now, self.settings[service].failure_threshold)
        else:
            after = br.on_success(before)
        self.change(service, before, after)
        return after

    def abandoned(self, service: str) -> None:
        self.states[service] = br.on_abandoned(self.states[service])

    async def reset(self, service: str, source_ip: str) -> br.Breaker:
        """An operator closed the breaker: saved with its audit row, in one transaction."""
        before = self.states[service]
        after = br.reset(before)
        now = self._clock.now()
        await self._storage.write(reset_breaker, service, before, after, now, source_ip)
        self.change(service, before, after)
        return after

    def next_change_at(self) -> datetime | None:
        times = [
            t
            for name, b in self.states.items()
            if (t := b.reopens_at(self.settings[name].open_s)) is not None
        ]
        return min(times, default=None)

    def snapshot(self, now: datetime) -> dict[str, dict[str, Any]]:
        out = {}
        for name, b in sorted(self.states.items()):
            settings = self.settings[name]
            reopens = b.reopens_at(settings.open_s)
            out[name] = {
                "state": b.state,
                "failure_count": b.failure_count,
                "failure_threshold": settings.failure_threshold,
                "open_s": settings.open_s,
                "opened_at": iso(b.opened_at) if b.opened_at else None,
                "half_open_at": iso(reopens) if reopens else None,
            }
        return out

    def change(self, service: str, before: br.Breaker, after: br.Breaker) -> None:
        """Take the new state; a change of state is logged and wakes whoever waits on it."""
        self.states[service] = after
        if before.state == after.state:
            return
        level = log.warning if after.state == br.OPEN else log.info
        level(
            "breaker_" + after.state,
            service=service,
            was=before.state,
            failure_count=after.failure_count,
        )
        self._wakeups.poke("breakers", "deliveries")
