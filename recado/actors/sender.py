"""The sender: sleeps until the next job comes due, then sends it once.

Scheduling is the wait: the actor computes the earliest ``due_at`` (a queued job, or an
uncertain job whose wait for a status ends) and sleeps until then, woken early when new jobs
are committed or an operator changes something. No loop scans every second.

Never twice: a job is committed as ``sending`` before its request leaves. A send whose
outcome is unknown (timeout or dropped connection after writing, or a crash while
``sending``) becomes ``uncertain`` and is never retried automatically; a status webhook that
echoes the job id resolves it, otherwise it dies as ``outcome_unknown`` for a person to look at.

The decisions are rules: whether a job goes out, to whom, or ends without a request
(``rules/send_policy.py``), and what an answer does to it (``rules/send_outcome.py``); this
loop gathers their facts, sends, and has storage apply what they decided.

One bad job never stops the sender: a job whose processing raises is set ``failed``
(``internal_error``, the exception named in the reason, retryable by an operator) or, if its
request may have left, ``uncertain``; the loop goes on with the other jobs. A storage fault is
not the job's fault: the job stays as it is and the sender retries once storage works.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import trio

from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault
from recado.actors.send_body import job_body
from recado.actors.send_results import (
    Claimed,
    graph_client,
    load_pause,
    send_settings,
    settle,
    shielded_send,
)
from recado.clock import iso, parse_iso, wait_s
from recado.logs import get_logger
from recado.rules import send_outcome as so
from recado.rules.graph_errors import BSUID_UNSUPPORTED, TEMPLATE_STATE_CODES
from recado.rules.kinds import FREE_FORM_KINDS
from recado.rules.message_identity import RECIPIENT, TO, Address, address
from recado.rules.pair_pacing import Bucket, take
from recado.rules.send_policy import AppointmentFacts, Proceed, Wait, decide
from recado.rules.window import window_state
from recado.runtime.context import Daemon
from recado.runtime.template_checks import template_problem
from recado.storage import sending as q
from recado.storage.events import JobSettings, plan_missing_jobs
from recado.storage.ledger import read_ledger
from recado.storage.sending import DueJob
from recado.whatsapp import graph_client as gc

log = get_logger("sender")

BATCH = 200
IN_FLIGHT = 8


class Sender:
    def __init__(self, daemon: Daemon, rng: random.Random | None = None) -> None:
        self.daemon = daemon
        self.rng = rng or random.Random()
        self._client: gc.GraphClient | None = None
        # A semaphore, not a CapacityLimiter: the slot is taken by the loop and given back
        # by the task that did the send.
        self._in_flight = trio.Semaphore(IN_FLIGHT)
        self._next_slot = 0.0
        self._pairs: dict[str, Bucket] = {}
        self._pair_wake = math.inf
        self._paced: set[str] = set()
        self._storage_fault: BaseException | None = None
        # The wall clock at the last look (None: not looked yet); see _rebase_if_clock_back.
        self._last_now: datetime | None = None
        self._claimed = Claimed(daemon)
        # The mode the queue was last planned under: leaving "disabled" plans what was
        # accepted meanwhile (at start too, after a restart with another mode).
        self._planned_mode: str | None = None

    @property
    def _wa(self) -> Any:
        return self.daemon.config.whatsapp

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        storage, now = self.daemon.storage, self.daemon.clock.now()
        deadline = now + timedelta(seconds=self._wa.uncertain_timeout_s)
        recovered = await storage.write(q.recover_interrupted, now, deadline)
        if recovered:
            log.warning("interrupted_sends_uncertain", jobs=recovered)
        await load_pause(self.daemon)
        task_status.started()
        try:
            while True:
                try:
                    more = await self._tick()
                    if not more:
                        await self._wait()
                except Exception as exc:
                    if not is_storage_fault(exc):
                        raise
                    # Jobs stay as they are (queued, or sending → uncertain at the next
                    # start); nothing is set aside for the storage's sake.
                    log.warning("sender_storage_fault", error=describe(exc))
                    await trio.sleep(STORAGE_RETRY_S)
        finally:
            if self._client is not None:
                with trio.CancelScope(shield=True):
                    await self._client.aclose()

    def _halted(self) -> bool:
        return self.daemon.sending_paused is not None or self.daemon.kill_switch_on

    async def _plan_if_mode_left_disabled(self, now: datetime) -> None:
        mode = self._wa.mode
        if mode != "disabled" and self._planned_mode in (None, "disabled"):
            settings = JobSettings(mode, self._wa.reminder_hours_before, "")
            planned = await self.daemon.storage.write(plan_missing_jobs, now, settings)
            if planned:
                log.info("jobs_planned_late", jobs=planned, mode=mode)
        self._planned_mode = mode

    async def _rebase_if_clock_back(self, now: datetime) -> None:
        """At start and whenever the wall clock went back, no wait after an attempt is left
        longer than its rule asked for."""
        if self._last_now is None or now < self._last_now:
            moved = await self.daemon.storage.write(q.rebase_waits, now)
            if moved:
                log.warning("send_waits_rebased", jobs=moved, reason="clock_went_back")
        self._last_now = now

    async def _tick(self) -> bool:
        """Send what is due; True when there may be more due right away."""
        storage, now = self.daemon.storage, self.daemon.clock.now()
        await self._claimed.retry()
        await self._rebase_if_clock_back(now)
        await self._plan_if_mode_left_disabled(now)
        expired = await storage.write(q.expire_uncertain, now)
        if expired:
            log.warning("uncertain_sends_dead", jobs=expired, reason="outcome_unknown")
        if self._halted():
            return False
        jobs = await storage.read(q.due_jobs, iso(now), BATCH)
        self._pair_wake = math.inf
        self._paced = set()
        async with trio.open_nursery() as nursery:
            for job in jobs:
                if self._halted():
                    break
                if not self._pair_allows(job):
                    continue
                await self._pace()
                await self._in_flight.acquire()
                nursery.start_soon(self._send_one_and_release, job)
        if self._storage_fault is not None:
            fault, self._storage_fault = self._storage_fault, None
            raise fault
        # Jobs held back by pacing are still due: do not report "more right away", the wait
        # wakes when a client's bucket refills.
        return len(jobs) == BATCH and not self._halted() and self._pair_wake == math.inf

    def _pair_allows(self, job: DueJob) -> bool:
        """Meta's pair rate limit: a job to a client we just wrote to waits its turn (it
        stays queued; the loop wakes when the client's bucket has a token again)."""
        key = job.to_number or str(job.customer_id or "")
        ok, self._pairs[key], wait = take(self._pairs.get(key), trio.current_time())
        if not ok:
            self._pair_wake = min(self._pair_wake, wait)
            self._paced.add(key)
        return ok

    async def _wait(self) -> None:
        delay = math.inf
        if not self._halted():
            nxt = await self.daemon.storage.read(q.next_due_at, tuple(sorted(self._paced)))
            delay = wait_s(parse_iso(nxt) if nxt else None, self.daemon.clock.now())
            delay = min(delay, self._pair_wake)
        await self.daemon.wakeups.sender.wait(delay)

    async def _pace(self) -> None:
        mps = self._wa.messages_per_second
        if mps <= 0:
            return
        slot = max(trio.current_time(), self._next_slot)
        self._next_slot = slot + 1 / mps
        await trio.sleep_until(slot)

    async def _send_one_and_release(self, job: DueJob) -> None:
        try:
            await self._send_one(job)
        except Exception as exc:
            if is_storage_fault(exc):
                self._storage_fault = exc
            else:
                await self._internal_error(job, exc)
        finally:
            self._in_flight.release()

    async def _internal_error(self, job: DueJob, exc: Exception) -> None:
        """The job's data (or a bug) made processing raise: set it aside, go on."""
        error = describe(exc)
        log.exception("send_internal_error", job=job.id, kind=job.kind, error=error)
        now = self.daemon.clock.now()
        settings = send_settings(self._wa, self.daemon.whatsapp_credentials())
        unclaimed, claimed = so.internal_error(error, now, settings)
        try:
            await self.daemon.storage.write(
                q.record_internal_error, job.id, now, unclaimed, claimed
            )
        except Exception as write_exc:
            if not is_storage_fault(write_exc):
                raise
            self._storage_fault = write_exc

    async def _send_one(self, job: DueJob) -> None:
        storage, now = self.daemon.storage, self.daemon.clock.now()
        cfg = self.daemon.config
        tz = ZoneInfo(cfg.daemon.timezone)
        appointment = None
        if job.appointment_status is not None:
            appointment = AppointmentFacts(
                job.appointment_status,
                parse_iso(job.starts_at or ""),
                parse_iso(job.job_starts_at) if job.job_starts_at else None,
            )
        creds = self.daemon.whatsapp_credentials()
        window = None
        if job.kind in FREE_FORM_KINDS:
            window = window_state(await storage.read(read_ledger, job.customer_id), now)
        to = _address(job)
        problem = None
        if job.kind not in FREE_FORM_KINDS and not job.text_body:
            problem = await template_problem(self.daemon, job.kind)
        decision = decide(
            kind=job.kind,
            to=to.value if to else "",
            mode=self._wa.mode,
            kill_switch=self.daemon.kill_switch_on,
            sending_paused=self.daemon.sending_paused is not None,
            allowlist=list(self._wa.allowlist),
            test_recipient=self._wa.test_recipient,
            window=window,
            now=now,
            appointment=appointment,
            template_configured=job.kind in cfg.whatsapp.templates,
            whatsapp_configured=creds is not None,
            template_problem=problem.code if problem else None,
        )
        if isinstance(decision, Wait):
            return
        if not isinstance(decision, Proceed):
            params = problem.params if problem and decision.reason == problem.code else None
            update = so.called_off(decision, job.kind, window, params)
            await settle(self.daemon, job, None, now, update)
            return
        assert to is not None  # decide fails a job with no one to address
        if decision.redirected_from is not None:
            to = Address(TO, decision.to)
        body = job_body(cfg, job, to, tz)
        if decision.dry_run:
            attempt_id = await storage.write(q.mark_sending, job.id, now, decision.to, True, body)
            if attempt_id is not None:
                await self._claimed.settle(job, attempt_id, now, so.dry_run_sent(job.id))
            return
        assert creds is not None  # decide fails the job when WhatsApp is not set up
        self._client = graph_client(self._wa, creds, self._client, IN_FLIGHT)
        async with self._client.connection() as conn:
            attempt_id = await storage.write(q.mark_sending, job.id, now, decision.to, False, body)
            if attempt_id is None:
                return  # canceled or changed between the read and the claim
            result = await shielded_send(self.daemon, conn, body)
        now = self.daemon.clock.now()
        phone_known = False
        if (
            isinstance(result, gc.Rejected)
            and result.code == BSUID_UNSUPPORTED
            and to.field == RECIPIENT
        ):
            # Only a send by BSUID falls back to the phone: one by phone cannot get better.
            phone_known = await storage.read(q.customer_phone, job.customer_id) is not None
        update = so.after_send(
            job.id,
            result,
            job.attempts + 1,
            send_settings(self._wa, creds),
            now,
            self.rng.random(),
            phone_known,
        )
        if decision.redirected_from is not None:
            # The test recipient answered: who Meta names is not this job's customer.
            update = replace(update, wa_id=None, user_id=None)
        await self._claimed.settle(job, attempt_id, now, update, job.attempts + 1)
        if not isinstance(result, gc.Accepted):
            # A short fault (a throttled burst) may be over before the next periodic check.
            self.daemon.send_trouble = True
            self.daemon.wakeups.poke("incidents")
        if isinstance(result, gc.Rejected) and result.code in TEMPLATE_STATE_CODES:
            self.daemon.templates_doubted = True
            self.daemon.wakeups.poke("templates")
        if update.pause is not None and update.alert is not None:
            # Meta refused this token: a connection's goes to error (with why).
            alert = update.alert
            await self.daemon.commands.connection.token_refused(
                creds, update.pause["code"], alert.pt_br, alert.en
            )


def _address(job: DueJob) -> Address | None:
    """Where the job goes, decided now from its customer (the phone it was planned for, for
    a job stored before customers existed)."""
    if job.customer_id is None:
        return address(phone=job.to_number, bsuid=None)
    return address(phone=job.customer_phone, bsuid=job.customer_bsuid)
