"""The alerts of a storage fault: raised in memory when it starts (nothing can be written
then), written with their start time once storage takes writes again, already resolved."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import trio

from recado.logs import get_logger
from recado.rules.storage_faults import alert_texts
from recado.storage.alerts import add_past_alerts
from recado.storage.faults import FaultAlert, StorageFault

if TYPE_CHECKING:
    from recado.storage.actor import Storage

log = get_logger("storage")

# While storage fails and nothing else writes, how often the alerts' write is tried again:
# it is also what notices that a fault cleared, so waiting actors resume without a restart.
PROBE_INTERVAL_S = 2.0


def alert_row(alert: FaultAlert) -> tuple[datetime, str, str, str, str]:
    text_pt, text_en = alert_texts(alert.kind)
    return (alert.since, "critical", alert.code, text_pt, text_en)


async def keep_fault_alerts(storage: Storage) -> None:
    """Runs beside the storage actor's writer for as long as it runs."""
    faults = storage.faults
    while True:
        await faults.wait_alerts()
        if faults.current is not None:
            with trio.move_on_after(PROBE_INTERVAL_S):
                await faults.wait_healthy()
        alerts = list(faults.alerts)
        try:
            # Written resolved: if this commits, storage works, so the fault is over.
            await storage.write(add_past_alerts, [alert_row(a) for a in alerts], storage.now())
        except StorageFault:
            if faults.current is None:
                await trio.sleep(PROBE_INTERVAL_S)
            continue
        except Exception:
            log.exception("storage_alerts_not_written")
            await trio.sleep(PROBE_INTERVAL_S)
            continue
        faults.persisted(alerts)
        log.info("storage_alerts_written", codes=",".join(a.code for a in alerts))
