"""The sender: sleeps until the next job comes due, then sends it once.

Scheduling is the wait: the actor computes the earliest ``due_at`` (a queued job, or an
uncertain job whose wait for a status ends) and sleeps until then, woken early by a poke
when new jobs are committed or an operator changes something. No loop scans every second.

Never twice: a job is committed as ``sending`` before its request leaves. A send whose
outcome is unknown (timeout or dropped connection after writing, or a crash while
``sending``) becomes ``uncertain`` and is never retried automatically; a status webhook that
echoes the job id resolves it, otherwise it dies as ``outcome_unknown`` for a person to look at.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import trio

from recado.actors.wakeup import Wakeup
from recado.clock import iso, parse_iso
from recado.daemon.context import Daemon
from recado.daemon.logs import get_logger
from recado.rules import graph_errors
from recado.rules.pair_pacing import Bucket, take
from recado.rules.retry_schedule import message_backoff
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
from recado.rules.window import Ledger, WindowState, window_state
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


def token_fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class Sender:
    def __init__(self, daemon: Daemon, rng: random.Random | None = None) -> None:
        self.daemon = daemon
        self.rng = rng or random.Random()
        self._wakeup = Wakeup()
        self._client: gc.GraphClient | None = None
        # A semaphore, not a CapacityLimiter: the slot is taken by the loop and given back
        # by the task that did the send.
        self._in_flight = trio.Semaphore(IN_FLIGHT)
        self._next_slot = 0.0
        self._pairs: dict[str, Bucket] = {}
        self._pair_wake = math.inf
        self._paced: set[str] = set()
        self.paused: dict[str, Any] | None = None
        # The mode the queue was last planned under: leaving "disabled" plans what was
        # accepted meanwhile (at start too, after a restart with another mode).
        self._planned_mode: str | None = None

    def poke(self) -> None:
        self._wakeup.poke()

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
        if self._wa.access_token and self._wa.phone_number_id:
            self._client = gc.GraphClient(
                self._wa.graph_base_url,
                self._wa.api_version,
                self._wa.phone_number_id,
                self._wa.access_token,
                connections=IN_FLIGHT,
            )
        task_status.started()
        try:
            while True:
                more = await self._tick()
                if not more:
                    await self._wait()
        finally:
            if self._client is not None:
                with trio.CancelScope(shield=True):
                    await self._client.aclose()

    async def _load_pause(self) -> None:
        paused = await self.daemon.storage.read(q.get_setting, PAUSE_KEY)
        if paused and paused.get("token") != token_fingerprint(self._wa.access_token):
            # A new token was configured since: try again.
            await self.daemon.storage.write(q.delete_setting, PAUSE_KEY)
            log.info("sending_resumed", reason="access token changed")
            paused = None
        self.paused = paused

    def _halted(self) -> bool:
        return self.paused is not None or self.daemon.kill_switch_on

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
            if nxt is not None:
                delay = max((parse_iso(nxt) - self.daemon.clock.now()).total_seconds(), 0)
            delay = min(delay, self._pair_wake)
        await self._wakeup.wait(delay)

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
        finally:
            self._in_flight.release()

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
            sending_paused=self.paused is not None,
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
            return
        if self._client is None:
            await self._finish(
                job,
                now,
                "failed",
                "not_configured",
                "WhatsApp não está configurado (token ou número).",
                "WhatsApp is not configured (token or phone number).",
            )
            return
        async with self._client.connection() as conn:
            attempt_id = await storage.write(
                q.mark_sending, job["id"], now, decision.to, False, body
            )
            if attempt_id is None:
                return  # canceled or changed between the read and the claim
            # In flight when the daemon stops: let it finish within the grace period, or it
            # becomes uncertain, never silently lost nor resent.
            result: gc.SendResult = gc.Unknown("stopped", "the daemon stopped during the send")
            with (
                trio.CancelScope(shield=True),
                trio.move_on_after(self.daemon.config.daemon.shutdown_grace_s),
            ):
                result = await conn.send(body)
        await self._record(job, attempt_id, result)

    async def _finish(
        self, job: dict[str, Any], now: datetime, state: str, code: str, pt_br: str, en: str
    ) -> None:
        """A job that ends without a request leaving: why, in both languages."""
        await self.daemon.storage.write(
            q.record_final, job["id"], None, now, state, code, _reason(pt_br, en)
        )

    async def _window(self, wa_id: str, now: datetime) -> WindowState:
        row = await self.daemon.storage.read(ledger_row, wa_id)
        if row is None or row["last_inbound_at"] is None:
            return window_state(None, now)
        ledger = Ledger(
            wa_id, last_inbound_at=datetime.fromtimestamp(row["last_inbound_at"], now.tzinfo)
        )
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

    async def _record(self, job: dict[str, Any], attempt_id: int, result: gc.SendResult) -> None:
        storage, now, wa = self.daemon.storage, self.daemon.clock.now(), self._wa
        if isinstance(result, gc.Accepted):
            await storage.write(
                q.record_sent,
                job["id"],
                attempt_id,
                now,
                result.wamid,
                result.wa_id,
                result.answer,
                False,
            )
            return
        if isinstance(result, gc.Unknown):
            deadline = now + timedelta(seconds=wa.uncertain_timeout_s)
            await storage.write(
                q.record_uncertain, job["id"], attempt_id, now, deadline, result.kind, result.detail
            )
            log.warning("send_uncertain", job=job["id"], kind=result.kind)
            return
        if isinstance(result, gc.NotSent):
            c = graph_errors.classify_transport(result.kind)
            await self._retry_or_die(job, attempt_id, c, "not_sent", None, None, None)
            return
        c = graph_errors.classify(
            result.http_status, result.code, result.subcode, result.is_transient
        )
        reason = _reason(c.pt_br, c.en, code=result.code, details=result.details)
        common = (result.http_status, result.code, result.answer)
        final = {
            graph_errors.AUTH: ("failed", c.reason_code),
            graph_errors.WINDOW_CLOSED: ("skipped", "window_closed"),
            graph_errors.PERMANENT: ("failed", c.reason_code),
            graph_errors.OPERATOR: ("failed", c.reason_code),
        }.get(c.kind)
        if final is not None:
            state, reason_code = final
            await storage.write(
                q.record_final,
                job["id"],
                attempt_id,
                now,
                state,
                reason_code,
                reason,
                "rejected",
                *common,
            )
            if c.kind == graph_errors.AUTH:
                await self._pause(c, now)
            elif c.alert and c.kind != graph_errors.WINDOW_CLOSED:
                await storage.write(
                    q.add_alert, now, "warning", c.reason_code, job["id"], c.pt_br, c.en
                )
        else:
            await self._retry_or_die(job, attempt_id, c, "rejected", *common)

    async def _retry_or_die(
        self,
        job: dict[str, Any],
        attempt_id: int,
        c: graph_errors.Classification,
        outcome: str,
        http_status: int | None,
        code: int | None,
        answer: Any,
    ) -> None:
        storage, now, wa = self.daemon.storage, self.daemon.clock.now(), self._wa
        attempt = job["attempts"] + 1
        reason = _reason(c.pt_br, c.en, code=code)
        if attempt >= wa.max_attempts:
            await storage.write(
                q.record_final,
                job["id"],
                attempt_id,
                now,
                "dead",
                c.reason_code,
                reason,
                outcome,
                http_status,
                code,
                answer,
            )
            return
        delay = message_backoff(
            attempt, wa.retry_base_s, wa.retry_cap_s, self.rng.random(), c.backoff
        )
        await storage.write(
            q.record_retry,
            job["id"],
            attempt_id,
            now,
            now + timedelta(seconds=delay),
            c.reason_code,
            reason,
            outcome,
            http_status,
            code,
            answer,
        )

    async def _pause(self, c: graph_errors.Classification, now: datetime) -> None:
        pause = {
            "code": c.code,
            "reason_code": c.reason_code,
            "at": iso(now),
            "token": token_fingerprint(self._wa.access_token),
        }
        await self.daemon.storage.write(q.set_setting, PAUSE_KEY, pause, now)
        await self.daemon.storage.write(
            q.add_alert, now, "critical", "whatsapp_auth", "whatsapp", c.pt_br, c.en
        )
        self.paused = pause
        log.error("sending_paused", reason=c.reason_code)


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
