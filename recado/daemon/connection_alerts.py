"""The operator alert of a listener's connection cap: a ``CapWatcher`` over storage."""

from __future__ import annotations

import trio

from recado.logs import get_logger
from recado.rules import connection_cap as rules
from recado.runtime.context import Daemon
from recado.storage.alerts import add_alert, resolve_alerts

log = get_logger("http")


class CapAlerts:
    def __init__(self, daemon: Daemon, listener: str, cap: int) -> None:
        self.daemon = daemon
        self.listener = listener
        self.cap = cap
        self.policy = rules.CapAlertPolicy(cap)
        # The dashboard reads it to say the cap was hit lately.
        daemon.connection_caps[listener] = self.policy

    async def refused(self) -> None:
        refusal = self.policy.on_refused(trio.current_time())
        if refusal.log_refused:
            log.warning(
                "connection_cap_hit",
                listener=self.listener,
                cap=self.cap,
                refused=refusal.log_refused,
            )
        if not refusal.raise_alert:
            return
        pt, en = rules.alert_text(self.listener, self.cap)
        await self.daemon.storage.write(
            add_alert, self.daemon.clock.now(), "warning", rules.CODE, self.listener, pt, en
        )

    async def level(self, open_connections: int) -> None:
        if not self.policy.on_level(open_connections):
            return
        log.info("connection_cap_over", listener=self.listener, open=open_connections)
        await self.daemon.storage.write(
            resolve_alerts, rules.CODE, self.listener, self.daemon.clock.now()
        )
