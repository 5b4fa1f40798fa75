"""The retention actor: once a day, at ``retention.hour`` in the studio's zone, deletes what
is older than each kind's period (storage/retention.py), a batch per write, then gives the
freed pages back to the file system, and records the run. Each batch is sized by the time
the one before took (rules/retention_batch.py), so none holds the writer long on any size
of database.

The batches of a run go one at a time through the storage actor, like any other write, so
a webhook or an event queued meanwhile waits for at most one batch; the longest a batch held
the writer is recorded with the run. A storage fault is nobody's fault: the run starts again
after a pause (each step finds what is left; a batch already committed is not done twice).
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import trio

from recado.actors.isolation import until_stored
from recado.clock import iso, wait_s
from recado.logs import get_logger
from recado.rules.retention import KINDS, cutoff, next_run
from recado.rules.retention_batch import COPY_WAIT_S, first_rows, next_rows
from recado.runtime.context import Daemon
from recado.storage import retention as rs

log = get_logger("retention")

STEPS: dict[str, rs.Step] = {
    "raw_bodies": rs.purge_bodies,
    "statuses": rs.delete_statuses,
    "attempts": rs.delete_attempts,
    "messages": rs.delete_messages,
    "deliveries": rs.delete_deliveries,
    "events": rs.delete_events,
}


class Retention:
    def __init__(self, daemon: Daemon, *, paced: bool = True) -> None:
        self.daemon = daemon
        # After each batch, wait for the checkpointer to copy the log back (off only for
        # the bench's baseline: bench/retention_pause.py).
        self.paced = paced

    def next_run_at(self) -> datetime:
        d = self.daemon
        return next_run(d.clock.now(), ZoneInfo(d.config.daemon.timezone), d.config.retention.hour)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._until(self.next_run_at())
            await until_stored(self.run_once, log, "retention_storage_fault")

    async def _until(self, at: datetime) -> None:
        # Wall-clock waits are capped (clock.wait_s): a jump of the clock is seen in time.
        while True:
            delay = wait_s(at, self.daemon.clock.now())
            if delay <= 0:
                return
            await trio.sleep(delay)

    async def run_once(self) -> rs.RetentionRun:
        d = self.daemon
        started = d.clock.now()
        ceiling = d.config.retention.batch_rows
        rows = dict.fromkeys(KINDS, 0)
        batches, longest = 0, 0.0
        # The batches dirty pages all over the file: checkpoints run beside them, not in
        # the commits every write waits for (storage/checkpointer.py).
        async with d.storage.checkpoints_apart():
            for kind in KINDS:
                before = iso(cutoff(started, getattr(d.config.retention, f"{kind}_days")))
                batch = rs.timed(STEPS[kind])
                size, after = first_rows(ceiling), ""
                while True:
                    done, took_ms = await self._timed_write(
                        batch, before, iso(d.clock.now()), size, after
                    )
                    after = done.after
                    batches, longest = batches + 1, max(longest, done.ms)
                    rows[kind] += done.rows
                    if done.rows < size:
                        break
                    size = next_rows(size, took_ms, ceiling)
            freed, vacuum_ms = await self._vacuum()
        longest = max(longest, vacuum_ms)
        run = rs.RetentionRun(
            started_at=iso(started),
            finished_at=iso(d.clock.now()),
            rows=rows,
            batches=batches,
            longest_batch_ms=round(longest, 2),
            pages_freed=freed,
            db_bytes=rs.file_bytes(d.storage.path),
        )
        await d.storage.write(rs.record_run, run)
        log.info(
            "retention_done",
            **rows,
            batches=batches,
            longest_batch_ms=run.longest_batch_ms,
            pages_freed=freed,
            db_bytes=run.db_bytes,
        )
        return run

    async def _timed_write(self, batch: rs.Batch, *args: object) -> tuple[rs.BatchDone, float]:
        """A batch's outcome and how long its write took, commit included: what a write
        queued behind it waited, and so what sizes the next batch."""
        started = time.perf_counter()
        done = await self.daemon.storage.write(batch, *args)
        took_ms = (time.perf_counter() - started) * 1000
        if self.paced:
            # The next batch waits for this one's pages to be copied back: the log is then
            # rewound and written over in place, not grown, and the copy's fsync of the file
            # does not meet the next batch's commit on the disk. The writes of everyone else
            # go on meanwhile.
            await self.daemon.storage.log_copied(COPY_WAIT_S)
        return done, took_ms

    async def _vacuum(self) -> tuple[int, float]:
        freed, longest = 0, 0.0
        pages = first_rows(rs.VACUUM_PAGES)
        while True:
            done, took_ms = await self._timed_write(rs.vacuum_some, pages)
            freed, longest = freed + done.rows, max(longest, done.ms)
            if done.rows < pages:
                return freed, longest
            pages = next_rows(pages, took_ms, rs.VACUUM_PAGES)
