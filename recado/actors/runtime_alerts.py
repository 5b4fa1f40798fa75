"""The alerts of what only the running daemon knows: an actor restarting in a loop, the last
reload refused (``rules/system_alerts.py`` decides which must be open and what they say).

Every ``CHECK_S`` (on the injected clock), and at once when a reload pokes it, it compares
what must be open with what it last wrote, and writes only a difference. Its first pass at
start resolves what the previous run left open: that run's loops and refusals are over.
"""

from __future__ import annotations

import trio

from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault
from recado.logs import get_logger
from recado.rules.system_alerts import RUNTIME_CODES, WantedAlert, runtime_alerts
from recado.runtime.context import Daemon
from recado.storage.alerts import open_alerts_of, reconcile_alerts

log = get_logger("runtime_alerts")

# A loop is marked after five failures within a minute; this keeps its alert within seconds.
CHECK_S = 5.0


class RuntimeAlerts:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._written: list[WantedAlert] | None = None

    def wanted(self) -> list[WantedAlert]:
        d = self.daemon
        return runtime_alerts(d.supervisor.crash_looping(), d.reload_refused, str(d.config_path))

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        wakeup = self.daemon.wakeups.alerts
        while True:
            wait = CHECK_S
            try:
                await self.reconcile()
            except Exception as exc:
                if not is_storage_fault(exc):
                    raise
                log.warning("runtime_alerts_storage_fault", error=describe(exc))
                wait = STORAGE_RETRY_S
            await wakeup.wait(wait)

    async def reconcile(self) -> None:
        wanted = self.wanted()
        if wanted == self._written:
            return
        storage = self.daemon.storage
        if (
            self._written is None
            and not wanted
            and not await storage.read(open_alerts_of, RUNTIME_CODES)
        ):
            # A start with nothing left open: nothing to write.
            self._written = wanted
            return
        rows = [(a.severity, a.code, a.subject, a.pt_br, a.en) for a in wanted]
        changed = await storage.write(
            reconcile_alerts, self.daemon.clock.now(), RUNTIME_CODES, rows
        )
        self._written = wanted
        if changed:
            log.info("runtime_alerts", open=",".join(f"{a.code}:{a.subject}" for a in wanted))
