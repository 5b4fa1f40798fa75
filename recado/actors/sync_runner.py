"""The sync runner: each ``[[sync]]`` job on its cron schedule, one run at a time.

A run pages through ``source`` from the stored cursor (``{cursor}`` in the path is replaced,
URL-encoded; the source answers ``{"items": [...], "next_cursor": "..."}``), posts each item
to ``target`` with ``Idempotency-Key: sync:<job>:<item id>``, and records start, end, status,
counts, error and the cursor before and after. The cursor moves only when the run
succeeds, so a failed run is read again from the same place next time and the target can
drop what it already has by the key. A fire missed while the daemon was down runs once at
start; an operator may start a run by hand when none is running.

One poison item never blocks its job: an item the target refuses for good (a 4xx other than
408/409/425/429, ``rules/http_outcome.py``) or whose processing raises is set aside
(``sync_failures``, with the reason), the run goes on and counts it, and the cursor moves
when the run otherwise succeeds. An operator can post a set-aside item again, with the same
``Idempotency-Key``. A transient failure (5xx, timeouts, 408/409/425/429) still fails the
run with the cursor where it was. A storage fault is nobody's item's fault: the job waits
and tries again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import trio

from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault
from recado.clock import parse_iso, wait_s
from recado.config import SyncJob
from recado.logs import get_logger
from recado.redaction import redact
from recado.rules import http_outcome as ho
from recado.rules.flows import Endpoint, parse_endpoint
from recado.rules.schedule import ScheduleError, plan
from recado.runtime.context import Daemon
from recado.runtime.wakeup import Wakeup
from recado.services.client import Answer, ServiceClient, service_clients
from recado.services.sync_page import (
    MAX_CURSOR_CHARS,
    PageError,
    SourcePage,
    item_key,
    read_item,
    read_page,
)
from recado.storage import sync as q

log = get_logger("sync_runner")

MAX_PAGES = 10_000
# How often a job set aside (its schedule cannot be planned) is tried again.
JOB_RETRY_S = 300.0


class RunFailed(Exception):
    pass


@dataclass(frozen=True)
class ItemResult:
    """What posting one item came to: ``written``; ``refused`` (for good) or
    ``internal_error`` (its processing raised), both set aside; or ``unavailable``
    (transient: the run fails)."""

    outcome: str
    status: int | None = None
    reason_pt: str = ""
    reason_en: str = ""


class SyncRunner:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.jobs: dict[str, SyncJob] = {j.name: j for j in daemon.config.sync}
        self._running: dict[str, int] = {}
        self._next_fire: dict[str, datetime] = {}
        # Jobs set aside: (code, what happened), code "schedule" or "internal_error".
        self._problems: dict[str, tuple[str, str]] = {}
        # A run an operator asked for, by job: the address they asked from.
        self._manual: dict[str, str] = {}
        self._wake: dict[str, Wakeup] = {name: Wakeup() for name in self.jobs}
        self._clients: dict[str, ServiceClient] = {}

    def has_job(self, name: str) -> bool:
        return name in self.jobs

    def next_fire(self, name: str) -> datetime | None:
        return self._next_fire.get(name)

    def running(self, name: str) -> bool:
        return name in self._running

    def problem(self, name: str) -> tuple[str, str] | None:
        """Why the job is set aside (not scheduled): its code and what happened; or None."""
        return self._problems.get(name)

    def request_run(self, name: str, source_ip: str) -> str:
        """``started``, ``running`` (one is in progress) or ``unknown``."""
        if name not in self.jobs:
            return "unknown"
        if name in self._running or name in self._manual:
            return "running"
        self._manual[name] = source_ip
        self._wake[name].poke()
        return "started"

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        interrupted = await self.daemon.storage.write(q.fail_interrupted, self.daemon.clock.now())
        if interrupted:
            log.warning("sync_runs_interrupted", runs=interrupted)
        self._clients = service_clients(self.daemon.config.services)
        self._running.clear()
        task_status.started()
        try:
            async with trio.open_nursery() as nursery:
                for job in self.jobs.values():
                    nursery.start_soon(self._job_loop, job)
                await trio.sleep_forever()  # an actor with no jobs is idle, not stopped
        finally:
            with trio.CancelScope(shield=True):
                for client in self._clients.values():
                    await client.aclose()

    async def _job_loop(self, job: SyncJob) -> None:
        storage, tz = self.daemon.storage, ZoneInfo(self.daemon.config.daemon.timezone)
        await storage.write(q.init_job, job.name, self.daemon.clock.now())
        first = True
        while True:
            try:
                first = await self._step(job, tz, first)
                self._problems.pop(job.name, None)
            except Exception as exc:
                if is_storage_fault(exc):
                    # The run (if one started) stays "running" until storage works or the
                    # next start marks it interrupted; the fire is tried again.
                    log.warning("sync_storage_fault", job=job.name, error=describe(exc))
                    await trio.sleep(STORAGE_RETRY_S)
                    continue
                await self._set_job_aside(job, exc)

    async def _set_job_aside(self, job: SyncJob, exc: Exception) -> None:
        """This job cannot be planned (its schedule ran out of fires, or a bug): it waits,
        named on the sync page and the dashboard, while the other jobs run; a run asked for
        by hand still goes, and the job is tried again now and then."""
        schedule = isinstance(exc, ScheduleError)
        problem = ("schedule", str(exc)) if schedule else ("internal_error", describe(exc))
        if self._problems.get(job.name) != problem:
            # Called while the exception is handled: a bug's traceback goes with it.
            report = log.error if schedule else log.exception
            report("sync_job_set_aside", job=job.name, reason=problem[0], error=problem[1])
        self._problems[job.name] = problem
        self._next_fire.pop(job.name, None)
        await self._wake[job.name].wait(JOB_RETRY_S)

    async def _step(self, job: SyncJob, tz: ZoneInfo, first: bool) -> bool:
        """Run the job if a run is due (or asked for), else wait for its next fire."""
        state = await self.daemon.storage.read(q.job_state, job.name)
        assert state is not None
        if job.name in self._manual:
            # Before the schedule is read: a job whose schedule fails can still run by hand.
            await self._run(job, "manual", None, state["cursor"], self._manual[job.name])
            del self._manual[job.name]
            return False
        last = parse_iso(state["last_fire_at"]) if state["last_fire_at"] else None
        now = self.daemon.clock.now()
        p = plan(job.schedule, last, now, tz)
        self._next_fire[job.name] = p.next_fire
        if p.due is not None:
            await self._run(job, "catch_up" if first else "schedule", p.due, state["cursor"])
        else:
            await self._wake[job.name].wait(wait_s(p.next_fire, now))
        return False

    async def _run(
        self,
        job: SyncJob,
        trigger: str,
        fire_at: datetime | None,
        cursor_before: str,
        requested_from: str | None = None,
    ) -> None:
        storage = self.daemon.storage
        run_id = await storage.write(
            q.start_run, job.name, trigger, self.daemon.clock.now(), cursor_before, requested_from
        )
        self._running[job.name] = run_id
        log.info("sync_started", job=job.name, run=run_id, trigger=trigger, cursor=cursor_before)
        counts = {"read": 0, "written": 0, "set_aside": 0}
        cursor = cursor_before
        status, error = "failed", None
        try:
            cursor = await self._pages(job, run_id, cursor_before, counts)
            status = "done"
        except RunFailed as exc:
            # Kept for people: a cursor or an answer quoted in it is not forwarded data.
            error = redact(str(exc))
        except Exception as exc:
            if is_storage_fault(exc):
                raise
            # A bug, not the services: the run is recorded as failed, the job goes on.
            error = redact(f"{type(exc).__name__}: {exc}")
            log.exception("sync_crashed", job=job.name, run=run_id)
        finally:
            # Cancelled (the daemon stopping) leaves the run "running"; the next start marks
            # it interrupted and runs the missed fire again.
            if status == "done" or error is not None:
                with trio.CancelScope(shield=True):
                    await storage.write(
                        q.finish_run,
                        run_id,
                        job.name,
                        self.daemon.clock.now(),
                        status,
                        counts["read"],
                        counts["written"],
                        error,
                        cursor if status == "done" else cursor_before,
                        fire_at,
                        counts["set_aside"],
                    )
            self._running.pop(job.name, None)
        self.daemon.metrics.sync_runs.labels(job.name, status).inc()
        level = log.info if status == "done" else log.warning
        level(
            "sync_" + status,
            job=job.name,
            run=run_id,
            read=counts["read"],
            written=counts["written"],
            set_aside=counts["set_aside"],
            cursor=cursor,
            error=error,
        )

    async def _pages(self, job: SyncJob, run_id: int, cursor: str, counts: dict[str, int]) -> str:
        source, target = parse_endpoint(job.source), parse_endpoint(job.target)
        if len(cursor) > MAX_CURSOR_CHARS:
            # Stored before cursors were bounded: no source can be asked for it (the URL is
            # too long), so keeping it would fail every run for good. The job reads again from
            # the start; the targets see the same idempotency keys.
            log.warning("sync_cursor_dropped", job=job.name, run=run_id, length=len(cursor))
            cursor = ""
        for page_no in range(1, MAX_PAGES + 1):
            page = await self._fetch(source, cursor, page_no)
            counts["read"] += len(page.items)
            for item in page.items:
                if item.problem_en:
                    reason = ItemResult("refused", None, item.problem_pt, item.problem_en)
                    await self._set_aside(job.name, run_id, item.raw, reason, raw=True)
                    counts["set_aside"] += 1
                    continue
                result = await self._item(job.name, run_id, target, item.value)
                if result.outcome == "unavailable":
                    raise RunFailed(result.reason_en)
                if result.outcome == "written":
                    counts["written"] += 1
                    continue
                await self._set_aside(job.name, run_id, item.value, result)
                counts["set_aside"] += 1
            nxt = page.next_cursor
            if not page.items or not nxt or nxt == cursor:
                return nxt or cursor
            cursor = nxt
        raise RunFailed(f"the source kept paging after {MAX_PAGES} pages (cursor {cursor!r})")

    async def _item(self, job: str, run_id: int, target: Endpoint, item: Any) -> ItemResult:
        try:
            return await self._post(job, target, item)
        except Exception as exc:
            if is_storage_fault(exc):
                raise
            log.exception("sync_item_crashed", job=job, run=run_id)
            error = redact(describe(exc))
            return ItemResult(
                "internal_error",
                None,
                f"Erro interno ao processar o item ({error}).",
                f"Internal error while processing the item ({error}).",
            )

    async def _fetch(self, source: Endpoint, cursor: str, page_no: int) -> SourcePage:
        path = source.path.replace("{cursor}", quote(cursor, safe=""))
        result = await self._clients[source.service].request(source.method, path)
        if not isinstance(result, Answer):
            raise RunFailed(
                f"page {page_no} from {source.service}: {result.kind} ({result.detail[:200]})"
            )
        if not 200 <= result.status < 300:
            raise RunFailed(f"page {page_no} from {source.service}: HTTP {result.status}")
        try:
            return read_page(result.body)
        except PageError as exc:
            raise RunFailed(f"page {page_no} from {source.service}: {exc}") from exc

    async def _post(self, job: str, target: Endpoint, item: Any) -> ItemResult:
        key = f"sync:{job}:{item_key(item)}"
        body = json.dumps(item, ensure_ascii=False).encode()
        result = await self._clients[target.service].request(target.method, target.path, body, key)
        if not isinstance(result, Answer):
            detail = f"{result.kind} ({result.detail[:200]})"
            return ItemResult(
                "unavailable",
                None,
                f"Falha ao enviar para {target.service}: {detail}",
                f"posting to {target.service}: {detail}",
            )
        outcome = ho.classify_status(result.status)
        if outcome.kind == ho.DONE:
            return ItemResult("written", result.status)
        if outcome.kind == ho.TRANSIENT:
            return ItemResult(
                "unavailable",
                result.status,
                f"{outcome.pt_br} ao enviar {key}",
                f"posting to {target.service}: HTTP {result.status} for {key}",
            )
        evidence = _excerpt(result.body)
        return ItemResult(
            "refused",
            result.status,
            f"{outcome.pt_br}{evidence}",
            f"{outcome.en}{evidence}",
        )

    async def _set_aside(
        self, job: str, run_id: int, item: Any, result: ItemResult, raw: bool = False
    ) -> None:
        """``raw``: ``item`` is the bytes of an item that could not be read, kept as sent."""
        if raw:
            key = "raw-" + hashlib.sha256(item).hexdigest()[:32]
            text = item.decode("utf-8", "replace")
        else:
            key, text = item_key(item), json.dumps(item, ensure_ascii=False, sort_keys=True)
        await self.daemon.storage.write(
            q.set_aside,
            job,
            run_id,
            key,
            text,
            "refused" if result.outcome == "refused" else "internal_error",
            result.reason_pt,
            result.reason_en,
            result.status,
            self.daemon.clock.now(),
        )
        log.warning("sync_item_set_aside", job=job, run=run_id, item=key, reason=result.reason_en)

    async def retry_item(self, name: str, failure_id: int, ip: str) -> dict[str, Any]:
        """An operator posts a set-aside item again (same key) and the outcome is recorded:
        ``resolved``, ``refused`` or ``unavailable``; or ``not_found``/``resolved_already``."""
        found = await self.daemon.storage.read(q.failure, failure_id)
        if found is None or found["job"] != name or name not in self.jobs:
            return {"outcome": "not_found"}
        if found["resolved_at"] is not None:
            return {"outcome": "resolved_already"}
        target = parse_endpoint(self.jobs[name].target)
        page_item = read_item(found["item_json"].encode())
        if page_item.problem_en:
            # Re-checked as the run checked it: an item too deep is refused again, not posted.
            result = ItemResult("refused", None, page_item.problem_pt, page_item.problem_en)
        else:
            result = await self._post(name, target, page_item.value)
        outcome = "resolved" if result.outcome == "written" else result.outcome
        code = {"refused": "refused", "unavailable": "unavailable"}.get(outcome)
        stored = await self.daemon.storage.write(
            q.record_item_retry,
            failure_id,
            self.daemon.clock.now(),
            outcome,
            code,
            result.reason_pt,
            result.reason_en,
            result.status,
            ip,
        )
        if not stored:
            return {"outcome": "resolved_already"}
        log.info("sync_item_retried", job=name, failure=failure_id, outcome=outcome)
        reason = result.reason_en if self.daemon.config.ui.locale == "en" else result.reason_pt
        return {"outcome": outcome, "status": result.status, "reason": reason or None}


def _excerpt(body: bytes) -> str:
    """The start of what the target said, without any configured secret it echoed."""
    text = redact(body[:300].decode("utf-8", "replace").strip())
    return f": «{text}»" if text else ""
