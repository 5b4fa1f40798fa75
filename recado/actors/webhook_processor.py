"""The webhook processor: applies committed inbox bodies in order, each exactly once.

The HTTP handler commits the raw body and answers 200; it then pokes this actor, which
drains everything pending. A body that fails is marked failed with the exception text and
kept; the bodies after it still go through. A body whose apply failed because storage
failed (a StorageFault) is not the body's fault: it stays pending, and the actor drains
again once storage takes writes. ``replay`` re-runs stored bodies (after a code fix) and is
a no-op for the ones already applied.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import trio

from recado.clock import iso
from recado.logs import get_logger
from recado.rules.voucher import voucher_key
from recado.runtime.commands import ReplayResult
from recado.runtime.context import Daemon
from recado.storage.faults import StorageFault
from recado.storage.inbox import (
    inbox_bodies,
    mark_failed,
    pending_inbox,
    requeue_storage_failures,
)
from recado.storage.webhook_apply import ReplyContext, apply_body

log = get_logger("webhook_processor")

BATCH = 64
# A read that fails for a storage reason while writes work does not clear on a commit:
# how long to wait before trying again.
READ_RETRY_S = 5.0


class WebhookProcessor:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.processed = 0
        self.failed = 0
        self._lock = trio.Lock()
        self._storage_fault: StorageFault | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        storage = self.daemon.storage
        requeued = False
        while True:
            try:
                if not requeued:
                    # Set aside as failed by an older recado when storage failed under them.
                    count = await storage.write(requeue_storage_failures)
                    requeued = True
                    if count:
                        log.info("webhooks_requeued", bodies=count)
                await self.drain()
            except StorageFault as fault:
                log.warning("webhooks_wait_for_storage", kind=fault.kind)
                if storage.fault is not None:
                    await storage.wait_healthy()
                else:
                    await self.daemon.wakeups.webhooks.wait(at_most_s=READ_RETRY_S)
                continue
            await self.daemon.wakeups.webhooks.wait()

    async def drain(self) -> int:
        """Apply every pending body; returns how many were applied or failed. Raises the
        StorageFault that left bodies pending, once the others have been tried."""
        done = 0
        async with self._lock:
            self._storage_fault = None
            last_id = 0
            while True:
                rows = await self.daemon.storage.read(pending_inbox, last_id, BATCH)
                if not rows:
                    break
                async with trio.open_nursery() as nursery:
                    # Bodies in one read share group commits; order between bodies of a
                    # batch does not matter because every row is idempotent and statuses
                    # are ranked, not ordered by arrival.
                    for inbox_id, body in rows:
                        nursery.start_soon(self._apply_one, inbox_id, body)
                if self._storage_fault is not None:
                    raise self._storage_fault
                last_id = rows[-1][0]
                done += len(rows)
        return done

    def _replies(self) -> ReplyContext:
        cfg = self.daemon.config
        return ReplyContext(
            tz=ZoneInfo(cfg.daemon.timezone),
            studio_name=cfg.studio.name,
            booking_url=cfg.studio.booking_url,
            public_base_url=cfg.http.public_base_url,
            voucher_key=voucher_key(self.daemon.secret_key),
            mode=cfg.whatsapp.mode,
            flows=self.daemon.flows,
        )

    async def _apply_one(self, inbox_id: int, body: bytes) -> bool:
        now = self.daemon.clock.now()
        try:
            counts = await self.daemon.storage.write(
                apply_body, inbox_id, body, now, self._replies()
            )
        except StorageFault as fault:
            self._storage_fault = fault
            return False
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            try:
                await self.daemon.storage.write(mark_failed, inbox_id, error, now)
            except StorageFault as fault:
                # Not marked: it stays pending and fails (and is marked) on the next drain.
                self._storage_fault = fault
                return False
            self.failed += 1
            log.error("webhook_failed", inbox_id=inbox_id, error=error)
            return False
        self.processed += 1
        log.debug("webhook_applied", inbox_id=inbox_id, **counts)
        if any(k.startswith("button_") for k in counts):
            # A tap queued a reply and may have emitted an event with deliveries.
            self.daemon.after_commit("sender", "deliveries")
        if "connection_update" in counts:
            self.daemon.after_commit("connection")
        return True

    async def replay(self, since: datetime | None, only_id: int | None) -> ReplayResult:
        """Re-run stored bodies; already-applied rows are left exactly as they are, and a
        failed body loses its error only if it now applies."""
        result = ReplayResult()
        async with self._lock:
            last_id = 0
            since_text = iso(since) if since else None
            while True:
                rows = await self.daemon.storage.read(
                    inbox_bodies, since_text, only_id, last_id, BATCH
                )
                if not rows:
                    break
                for inbox_id, body in rows:
                    result.bodies += 1
                    if not await self._replay_one(inbox_id, body):
                        result.failed += 1
                last_id = rows[-1][0]
        log.info("webhooks_replayed", **result.as_json())
        return result

    async def _replay_one(self, inbox_id: int, body: bytes) -> bool:
        now = self.daemon.clock.now()
        try:
            await self.daemon.storage.write(apply_body, inbox_id, body, now, self._replies())
        except StorageFault:
            raise  # the operator's replay answers 503; the body keeps its state
        except Exception as exc:
            await self.daemon.storage.write(
                mark_failed, inbox_id, f"{type(exc).__name__}: {exc}", now
            )
            return False
        return True
