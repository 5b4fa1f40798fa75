"""The actor that moves the circuit breakers on time.

It sleeps until the earliest open breaker may half-open, makes it so (saved and logged by the
board, ``runtime/breakers.py``) and the board's change wakes the delivery worker for the
probe.
"""

from __future__ import annotations

import trio

from recado.clock import wait_s
from recado.rules import breaker as br
from recado.runtime.breakers import BreakerBoard
from recado.runtime.context import Daemon
from recado.storage.deliveries import save_breaker


class BreakerMonitor:
    def __init__(self, daemon: Daemon, board: BreakerBoard) -> None:
        self.daemon = daemon
        self.board = board

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            now = self.daemon.clock.now()
            for name, b in list(self.board.states.items()):
                after = br.tick(b, now, self.board.settings[name].open_s)
                if after is not b:
                    await self.daemon.storage.write(save_breaker, name, after, now)
                    self.board.change(name, b, after)
            # The clock read again after the writes: a clock that moved meanwhile is not slept
            # past.
            nxt = self.board.next_change_at()
            await self.daemon.wakeups.breakers.wait(wait_s(nxt, self.daemon.clock.now()))
