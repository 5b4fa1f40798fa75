"""The delivery worker: takes due deliveries and carries each flow action out
(docs/reference.md §8.1).

``http:<service>:<METHOD>:<path>`` posts the event envelope with ``Idempotency-Key: <event
id>:<action>`` (the same on every attempt, so a destination can drop a repeat) and the
service's auth header. ``whatsapp:<template>`` queues a message job for the sender. The
outcome goes through ``rules/http_outcome.py`` and ``rules/retry_schedule.py``; the
service's breaker (``runtime/breakers.py``) is asked before each delivery, and while it holds a
service back, that service's deliveries wait without spending attempts.

Delivery is at least once: a crash between the request and the commit of its outcome sends
it again after the restart, with the same key.

One bad delivery never stops the worker: a delivery whose processing raises dies with an
"internal error" reason (in the DLQ, retryable there) and the others go on. A storage fault
is not the delivery's fault: it stays due and the worker waits for storage to work again.
"""

from __future__ import annotations

import json
import random
from datetime import datetime

import trio

from recado.actors.delivery_bodies import delivery_body
from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault
from recado.clock import iso, parse_iso, wait_s
from recado.logs import get_logger
from recado.redaction import redact
from recado.rules import http_outcome as ho
from recado.rules.flows import HttpAction, WhatsAppAction, idempotency_key, parse_action
from recado.rules.hub_message import BadEventData, hub_message
from recado.rules.message_identity import message_id
from recado.rules.retry_schedule import delivery_step
from recado.runtime.breakers import BreakerBoard
from recado.runtime.context import Daemon
from recado.services.client import (
    CONNECTIONS_PER_SERVICE,
    Answer,
    ServiceClient,
    service_clients,
)
from recado.storage import deliveries as q
from recado.storage.message_queue import NewMessage

log = get_logger("delivery_worker")

BATCH = 64
IN_FLIGHT = 16
# Per service, as many as its client has connections: a slow or hung service can hold only
# its own share of the slots, never delay the others.
PER_SERVICE = CONNECTIONS_PER_SERVICE


class DeliveryWorker:
    def __init__(
        self, daemon: Daemon, board: BreakerBoard, rng: random.Random | None = None
    ) -> None:
        self.daemon = daemon
        self.board = board
        self.rng = rng or random.Random()
        self._in_flight: set[int] = set()
        self._busy: dict[str, int] = {}
        self._slots = trio.Semaphore(IN_FLIGHT)
        self._clients: dict[str, ServiceClient] = {}
        self._max_attempts = {s.name: s.max_attempts for s in daemon.config.services}
        self._templates = set(daemon.config.whatsapp.templates)
        self._storage_fault: BaseException | None = None
        # The wall clock at the last look; None: not looked yet (at start the clock may
        # already have gone back while the daemon was down).
        self._last_now: datetime | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self.board.load()
        self._clients = service_clients(self.daemon.config.services)
        self._in_flight.clear()
        self._busy.clear()
        task_status.started()
        try:
            async with trio.open_nursery() as nursery:
                while True:
                    try:
                        more = await self._tick(nursery)
                        if not more:
                            await self._wait()
                        fault, self._storage_fault = self._storage_fault, None
                        if fault is not None:
                            raise fault
                    except Exception as exc:
                        if not is_storage_fault(exc):
                            raise
                        # Deliveries stay due; a full disk must not turn them dead.
                        log.warning("delivery_storage_fault", error=describe(exc))
                        await trio.sleep(STORAGE_RETRY_S)
        finally:
            with trio.CancelScope(shield=True):
                for client in self._clients.values():
                    await client.aclose()

    def _held(self, now: datetime) -> tuple[str, ...]:
        """Services whose deliveries cannot start now: breaker, or all connections busy."""
        saturated = [name for name, n in self._busy.items() if n >= PER_SERVICE]
        return tuple(sorted({*self.board.blocked(now), *saturated}))

    async def _tick(self, nursery: trio.Nursery) -> bool:
        now = self.daemon.clock.now()
        if self._last_now is None or now < self._last_now:
            moved = await self.daemon.storage.write(q.rebase_waits, now)
            if moved:
                log.warning("delivery_waits_rebased", deliveries=moved, reason="clock_went_back")
        self._last_now = now
        rows = await self.daemon.storage.read(
            q.due_deliveries, iso(now), self._held(now), tuple(self._in_flight), BATCH
        )
        for row in rows:
            if self._storage_fault is not None:
                break
            try:
                if not await self._startable(row):
                    continue
            except Exception as exc:
                await self._set_aside(row, exc)
                continue
            service = row.service
            if service is not None and (
                self._busy.get(service, 0) >= PER_SERVICE
                or not self.board.admit(service, self.daemon.clock.now())
            ):
                continue
            await self._slots.acquire()
            self._in_flight.add(row.id)
            if service is not None:
                self._busy[service] = self._busy.get(service, 0) + 1
            nursery.start_soon(self._deliver, row)
        return len(rows) == BATCH

    async def _startable(self, row: q.DueDelivery) -> bool:
        """False (and dead) when the config no longer has what the delivery needs."""
        service = row.service
        if service is not None and service not in self._clients:
            await self._give_up(row, *_not_configured("service", service))
            return False
        template = _template_of(row.action)
        if template is not None and template not in self._templates:
            await self._give_up(row, *_not_configured("template", template))
            return False
        return True

    async def _wait(self) -> None:
        if self._storage_fault is not None:
            return
        now = self.daemon.clock.now()
        nxt = await self.daemon.storage.read(
            q.next_delivery_due, self._held(now), tuple(self._in_flight)
        )
        # The clock read again after the read: a clock that moved meanwhile is not slept past.
        due = parse_iso(nxt) if nxt else None
        await self.daemon.wakeups.deliveries.wait(wait_s(due, self.daemon.clock.now()))

    async def _deliver(self, row: q.DueDelivery) -> None:
        settled = False
        try:
            if row.service is None:
                await self._hand_off(row)
            else:
                await self._post(row)
            settled = True
        except Exception as exc:
            await self._set_aside(row, exc)
        finally:
            if row.service is not None:
                self._busy[row.service] -= 1
                if not settled:
                    self.board.abandoned(row.service)
            self._in_flight.discard(row.id)
            self._slots.release()
            self.daemon.after_commit("deliveries")

    async def _post(self, row: q.DueDelivery) -> None:
        action = parse_action(row.action)
        assert isinstance(action, HttpAction)
        service = action.endpoint.service
        client = self._clients[service]
        started = self.daemon.clock.now()
        result = await client.request(
            action.endpoint.method,
            action.endpoint.path,
            delivery_body(self.daemon, row),
            idempotency_key(row.event_id, row.action),
        )
        now = self.daemon.clock.now()
        if isinstance(result, Answer):
            outcome = ho.classify_status(result.status, result.headers.get("retry-after"), now)
            status: int | None = result.status
            evidence = _excerpt(result.body) if outcome.kind != ho.DONE else ""
        else:
            outcome = ho.classify_transport(result.kind, result.detail)
            status = None
            evidence = f"({result.detail[:200]})"
        attempts = row.attempts + 1
        next_at: datetime | None = None
        if outcome.kind == ho.DONE:
            state = "done"
        else:
            state, delay = delivery_step(
                outcome.kind == ho.TRANSIENT,
                attempts,
                self._max_attempts[service],
                self.rng.random(),
                outcome.retry_after_s,
            )
            next_at = now + delay if delay is not None else None
        error = outcome.explain(self.daemon.config.ui.locale, state, attempts)
        if evidence:
            error += " " + evidence
        metrics = self.daemon.metrics
        metrics.deliveries.labels(service, outcome.kind).inc()
        metrics.delivery_latency.labels(service).observe(result.latency_ms / 1000)
        before = self.board.states[service]
        breaker = self.board.outcome(service, outcome.breaker_failure, now)
        # Saved with the attempt when it changed; a closed breaker staying closed costs nothing.
        changed = (breaker.state, breaker.failure_count) != (before.state, before.failure_count)
        await self.daemon.storage.write(
            q.record_attempt,
            row.id,
            started,
            now,
            result.latency_ms,
            status,
            outcome.kind,
            None if state == "done" else error,
            state,
            next_at,
            (service, breaker) if changed else None,
        )
        fields = {"delivery": row.id, "event_id": row.event_id, "service": service}
        if state == "done":
            log.info(
                "delivered",
                **fields,
                status=status,
                attempts=attempts,
                latency_ms=round(result.latency_ms),
            )
        elif state == "dead":
            log.warning("delivery_dead", **fields, attempts=attempts, reason=error)
        else:
            log.info("delivery_retry", **fields, attempts=attempts, at=next_at, reason=error)

    async def _hand_off(self, row: q.DueDelivery) -> None:
        template = _template_of(row.action)
        assert template is not None
        now = self.daemon.clock.now()
        try:
            message = hub_message(
                json.loads(row.data_json), row.occurred_at, self.daemon.config.studio.country
            )
        except BadEventData as exc:
            await self._give_up(row, exc.pt_br, exc.en)
            return
        queued = NewMessage(
            message_id(template, row.event_id, row.action),
            template,
            now,
            phone=message.to,
            event_id=row.event_id,
            params=message.values,
        )
        await self.daemon.storage.write(q.hand_off_message, row.id, queued, now)
        self.daemon.after_commit("sender")
        # The WhatsApp sender takes it from here and logs its own send outcome.
        log.info(
            "delivery_handed_off",
            delivery=row.id,
            event_id=row.event_id,
            message=queued.id,
            kind=template,
        )

    async def _set_aside(self, row: q.DueDelivery, exc: Exception) -> None:
        """Processing the delivery raised: a storage fault waits for storage; anything else
        is this delivery's problem (its data, or a bug): dead with the error, the rest goes
        on."""
        if is_storage_fault(exc):
            self._storage_fault = exc
            return
        error = describe(exc)
        log.exception("delivery_internal_error", delivery=row.id, error=error)
        try:
            await self._give_up(
                row,
                f"Erro interno ao processar a entrega ({error}); corrija a causa e tente de "
                "novo pela fila de falhas.",
                f"Internal error while processing the delivery ({error}); fix the cause and "
                "retry from the DLQ.",
                "internal_error",
            )
        except Exception as write_exc:
            if not is_storage_fault(write_exc):
                raise
            self._storage_fault = write_exc

    async def _give_up(
        self, row: q.DueDelivery, pt_br: str, en: str, outcome: str = "permanent"
    ) -> None:
        """Dead at once: nothing a retry could change (the operator can retry from the DLQ
        once the config or the event is fixed)."""
        reason = en if self.daemon.config.ui.locale == "en" else pt_br
        now = self.daemon.clock.now()
        await self.daemon.storage.write(
            q.record_attempt, row.id, now, now, None, None, outcome, reason, "dead", None
        )
        log.warning("delivery_dead", delivery=row.id, event_id=row.event_id, reason=reason)


def _template_of(action: str) -> str | None:
    parsed = parse_action(action)
    return parsed.template if isinstance(parsed, WhatsAppAction) else None


def _not_configured(what: str, name: str) -> tuple[str, str]:
    pt = {"service": "O serviço", "template": "O modelo"}[what]
    return (
        f'{pt} "{name}" não está mais na configuração; inclua-o e tente de novo pela fila '
        "de falhas.",
        f'The {what} "{name}" is no longer in the configuration; add it back and retry from '
        "the DLQ.",
    )


def _excerpt(body: bytes) -> str:
    """The start of what the service said, without any secret it echoed."""
    text = redact(body[:300].decode("utf-8", "replace").strip())
    return f"«{text}»" if text else ""
