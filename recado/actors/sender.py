"""The sender: sleeps until the next job comes due, then sends it once.

Scheduling is the wait: the actor computes the earliest ``due_at`` (a queued job, or an
uncertain job whose wait for a status ends) and sleeps until then, woken early by a poke
when new jobs are committed or an operator changes something. No loop scans every second.

Never twice: a job is committed as ``sending`` before its request leaves. A send whose
outcome is unknown (timeout or dropped connection after writing, or a crash while
``sending``) becomes ``uncertain`` and is never retried automatically; a status webhook that
echoes the job id resolves it, otherwise it dies as ``outcome_unknown`` for a person to look at.

One bad job never stops the sender: a job whose processing raises is set ``failed``
(``internal_error``, the exception named in the reason, retryable by an operator) or, if its
request may have left, ``uncertain``; the loop goes on with the other jobs. A storage fault is
not the job's fault: the job stays as it is and the sender retries once storage works.
"""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import trio

from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault
from recado.actors.send_results import SEND_TIMEOUT_S, log_outcome, record_result
from recado.clock import from_unix, iso, parse_iso, wait_s
from recado.logs import get_logger
from recado.rules import graph_errors
from recado.rules.pair_pacing import Bucket, take
from recado.rules.send_policy import (
    FREE_FORM_KINDS,
    AppointmentFacts,
    CallOff,
    Fail,
    Proceed,
    Skip,
    Wait,
    decide,
)
from recado.rules.send_reasons import internal_error_reason
from recado.rules.window import Ledger, WindowState, window_state
from recado.runtime.context import Daemon
from recado.runtime.whatsapp_credentials import Credentials
from recado.storage import sending as q
from recado.storage.conversations import ledger_row
from recado.storage.events import JobSettings, plan_missing_jobs
from recado.whatsapp import graph_client as gc
from recado.whatsapp.templates import (
    AppointmentView,
    cancellation_text,
    hub_view,
    template_body,
    template_params,
    text_body,
)

log = get_logger("sender")

BATCH = 200
IN_FLIGHT = 8
PAUSE_KEY = "sending_paused"


def _reason(pt: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"pt-BR": pt, "en": en, **extra}


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
        await self._load_pause()
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

    async def _load_pause(self) -> None:
        paused = await self.daemon.storage.read(q.get_setting, PAUSE_KEY)
        creds = self.daemon.whatsapp_credentials()
        if paused and creds is not None and paused.get("token") != creds.fingerprint:
            # A new token was configured since: try again.
            await self.daemon.storage.write(q.delete_setting, PAUSE_KEY)
            log.info("sending_resumed", reason="access token changed")
            paused = None
        self.daemon.sending_paused = paused

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

    async def _tick(self) -> bool:
        """Send what is due; True when there may be more due right away."""
        storage, now = self.daemon.storage, self.daemon.clock.now()
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

    def _pair_allows(self, job: dict[str, Any]) -> bool:
        """Meta's pair rate limit: a job to a client we just wrote to waits its turn (it
        stays queued; the loop wakes when the client's bucket has a token again)."""
        key = job["to_number"] or ""
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

    async def _send_one_and_release(self, job: dict[str, Any]) -> None:
        try:
            await self._send_one(job)
        except Exception as exc:
            if is_storage_fault(exc):
                self._storage_fault = exc
            else:
                await self._internal_error(job, exc)
        finally:
            self._in_flight.release()

    async def _internal_error(self, job: dict[str, Any], exc: Exception) -> None:
        """The job's data (or a bug) made processing raise: set it aside, go on."""
        error = describe(exc)
        log.exception("send_internal_error", job=job["id"], kind=job.get("kind"), error=error)
        now = self.daemon.clock.now()
        deadline = now + timedelta(seconds=self._wa.uncertain_timeout_s)
        try:
            await self.daemon.storage.write(
                q.record_internal_error,
                job["id"],
                now,
                deadline,
                internal_error_reason(error, claimed=False),
                internal_error_reason(error, claimed=True),
            )
        except Exception as write_exc:
            if not is_storage_fault(write_exc):
                raise
            self._storage_fault = write_exc

    async def _send_one(self, job: dict[str, Any]) -> None:
        storage, now = self.daemon.storage, self.daemon.clock.now()
        cfg = self.daemon.config
        tz = ZoneInfo(cfg.daemon.timezone)
        appointment = None
        if job["appointment_status"] is not None:
            appointment = AppointmentFacts(
                job["appointment_status"],
                parse_iso(job["starts_at"]),
                parse_iso(job["job_starts_at"]) if job["job_starts_at"] else None,
            )
        window = None
        if job["kind"] in FREE_FORM_KINDS:
            window = await self._window(job["wa_id"], now)
        decision = decide(
            kind=job["kind"],
            to=job["to_number"],
            mode=self._wa.mode,
            kill_switch=self.daemon.kill_switch_on,
            sending_paused=self.daemon.sending_paused is not None,
            allowlist=list(self._wa.allowlist),
            test_recipient=self._wa.test_recipient,
            window=window,
            now=now,
            appointment=appointment,
            template_configured=job["kind"] in cfg.whatsapp.templates,
        )
        if isinstance(decision, Wait):
            return
        if isinstance(decision, Skip | CallOff | Fail):
            state = {Skip: "skipped", CallOff: "canceled", Fail: "failed"}[type(decision)]
            reason = _skip_reason(decision.reason, window, tz)
            if decision.reason == "template_not_configured":
                reason = _reason(
                    f'O modelo "{job["kind"]}" não está mais na configuração.',
                    f'The template "{job["kind"]}" is no longer in the configuration.',
                )
            await storage.write(
                q.record_final, job["id"], None, now, state, decision.reason, reason
            )
            log_outcome(job, state, decision.reason)
            return
        assert isinstance(decision, Proceed)
        body = self._body(job, decision.to, tz)
        if decision.dry_run:
            attempt_id = await storage.write(
                q.mark_sending, job["id"], now, decision.to, True, body
            )
            if attempt_id is not None:
                await storage.write(
                    q.record_sent,
                    job["id"],
                    attempt_id,
                    now,
                    f"dryrun.{job['id']}",
                    None,
                    None,
                    True,
                )
                log_outcome(job, "sent", None, dry_run=True)
            return
        creds = self.daemon.whatsapp_credentials()
        if creds is None:
            await self._finish(
                job,
                now,
                "failed",
                "not_configured",
                "WhatsApp não está configurado (token ou número).",
                "WhatsApp is not configured (token or phone number).",
            )
            return
        async with self._client_for(creds).connection() as conn:
            attempt_id = await storage.write(
                q.mark_sending, job["id"], now, decision.to, False, body
            )
            if attempt_id is None:
                return  # canceled or changed between the read and the claim
            result = await self._shielded_send(conn, body)
        await record_result(self, job, attempt_id, result)

    def _client_for(self, creds: Credentials) -> gc.GraphClient:
        """The connections to Meta, sending with the credentials in force (the connection's
        token, or the config's): a new signup changes them without a restart."""
        if self._client is None:
            self._client = gc.GraphClient(
                self._wa.graph_base_url,
                self._wa.api_version,
                creds.phone_number_id,
                creds.token,
                timeout_s=SEND_TIMEOUT_S,
                connections=IN_FLIGHT,
            )
        self._client.token = creds.token
        self._client.path = f"/{self._wa.api_version}/{creds.phone_number_id}/messages"
        return self._client

    async def _shielded_send(self, conn: gc.Connection, body: dict[str, Any]) -> gc.SendResult:
        """The request, shielded from the daemon stopping: in flight when it stops, it gets
        the grace period to finish, or it becomes uncertain, never silently lost nor resent.
        A request that hangs is cut by the Graph client's own timeout, and says so."""
        result: gc.SendResult = gc.Unknown("stopped", "the daemon stopped during the send")
        stopping = self.daemon.stopping

        async def cut_when_stopping(scope: trio.CancelScope) -> None:
            await stopping.wait()
            scope.deadline = min(
                scope.deadline, trio.current_time() + self.daemon.config.daemon.shutdown_grace_s
            )

        with trio.CancelScope(shield=True) as scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(cut_when_stopping, scope)
                result = await conn.send(body)
                nursery.cancel_scope.cancel()
        return result

    async def _finish(
        self, job: dict[str, Any], now: datetime, state: str, code: str, pt_br: str, en: str
    ) -> None:
        """A job that ends without a request leaving: why, in both languages."""
        await self.daemon.storage.write(
            q.record_final, job["id"], None, now, state, code, _reason(pt_br, en)
        )
        log_outcome(job, state, code)

    async def _window(self, wa_id: str, now: datetime) -> WindowState:
        row = await self.daemon.storage.read(ledger_row, wa_id)
        if row is None or row["last_inbound_at"] is None:
            return window_state(None, now)
        # A timestamp stored before inputs were bounded reads as no message at all.
        ledger = Ledger(wa_id, last_inbound_at=from_unix(row["last_inbound_at"], now.tzinfo))
        return window_state(ledger, now)

    def _body(self, job: dict[str, Any], to: str, tz: ZoneInfo) -> dict[str, Any]:
        cfg = self.daemon.config
        if job["text_body"]:
            return text_body(to, job["text_body"], job["id"])
        if job["params_json"]:
            view = hub_view(json.loads(job["params_json"]), cfg.studio.location_line)
        else:
            view = AppointmentView(
                job["appointment_id"] or "",
                job["client_name"] or "",
                job["service"] or "",
                parse_iso(job["starts_at"]),
                job["location"] or cfg.studio.location_line,
            )
        if job["kind"] == "appointment_canceled":
            text = cancellation_text(view, tz, cfg.studio.name, job["cancel_reason"])
            return text_body(to, text, job["id"])
        template = cfg.whatsapp.templates[job["kind"]]
        params = template_params(view, list(template.body_params), tz, cfg.studio.name)
        return template_body(
            to,
            template.name,
            template.language,
            params,
            list(template.buttons),
            view.appointment_id,
            job["id"],
        )

    async def pause_sending(self, c: graph_errors.Classification, now: datetime) -> None:
        """The token is broken: every job waits until a new token is configured."""
        creds = self.daemon.whatsapp_credentials()
        pause = {
            "code": c.code,
            "reason_code": c.reason_code,
            "at": iso(now),
            "token": creds.fingerprint if creds else None,
        }
        await self.daemon.storage.write(q.set_setting, PAUSE_KEY, pause, now)
        await self.daemon.storage.write(
            q.add_alert, now, "critical", "whatsapp_auth", "whatsapp", c.pt_br, c.en
        )
        self.daemon.sending_paused = pause
        log.error("sending_paused", reason=c.reason_code)
        if creds is not None:
            await self.daemon.commands.connection.token_refused(creds, c.code, c.pt_br, c.en)


def _skip_reason(code: str, window: WindowState | None, tz: ZoneInfo) -> dict[str, Any]:
    def local(dt: datetime | None) -> str:
        return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M") if dt else "—"

    if code == "window_closed" and window is not None:
        return _reason(
            f"Janela de 24 h fechada: a última mensagem do cliente foi em "
            f"{local(window.last_inbound_at)} e a janela expirou em {local(window.expires_at)}.",
            f"24 h window closed: the client last wrote at {local(window.last_inbound_at)} and "
            f"the window expired at {local(window.expires_at)}.",
            last_inbound_at=iso(window.last_inbound_at) if window.last_inbound_at else None,
            expires_at=iso(window.expires_at) if window.expires_at else None,
        )
    texts = {
        "appointment_passed": (
            "O horário já passou quando a mensagem seria enviada.",
            "The appointment had already started when the message was due.",
        ),
        "appointment_canceled": (
            "O agendamento foi cancelado; a mensagem não foi enviada.",
            "The appointment was canceled; the message was not sent.",
        ),
        "appointment_changed": (
            "O agendamento mudou de horário; a mensagem do horário antigo não foi enviada.",
            "The appointment moved to another time; the old time's message was not sent.",
        ),
        "no_inbound": (
            "O cliente nunca escreveu para o estúdio; mensagens livres só podem ser "
            "enviadas dentro da janela de 24 h.",
            "The client never wrote to the studio; free-form messages can only go "
            "out inside the 24 h window.",
        ),
        "mode_disabled": (
            "Envio de WhatsApp desativado (modo disabled).",
            "WhatsApp sending is disabled (mode disabled).",
        ),
        "not_allowlisted": (
            "O número não está na lista de permitidos (allowlist).",
            "The number is not on the allowlist.",
        ),
    }
    pt, en = texts.get(code, (code, code))
    return _reason(pt, en)
