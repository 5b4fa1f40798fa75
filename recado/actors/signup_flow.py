"""The server side of Embedded Signup (WHATSAPP.md §9), step by step against the Graph API.

The state is spent first (it binds the callback to the operator's page session), then the
code is exchanged at once (it lives about 30 s); only then is anything else asked of Meta:
the token's grants (``debug_token``, never gated on scope names), the WABA proved with a
real call made with the new token (its numbers), the app's subscription (then the callback
override, which Meta refuses before it), and ``/register`` with a PIN for a new number (never
for coexistence, whose two one-time syncs the health actor requests).

Every step's outcome lands in the connection's history; a step that fails leaves the
connection in ``error`` with the reason in words, never "connected". The token is sealed
under the key ring as soon as it exists, registered for redaction, and never written
anywhere in the clear.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recado.actors.register_pin import PIN_SOURCES, register_pin
from recado.clock import iso, parse_iso
from recado.logs import add_secret, get_logger
from recado.rules import signup as rs
from recado.rules.connection_health import token_verdict
from recado.runtime.connection_commands import Answer, CallbackInput, PopupEnded
from recado.runtime.context import Daemon
from recado.runtime.keyring import KeyRing, purpose_of
from recado.runtime.whatsapp_credentials import Credentials
from recado.storage import whatsapp_connections as cs
from recado.storage.product_events import record_event
from recado.whatsapp.signup_graph import Failed, Ok, SignupGraph

log = get_logger("signup")

TABLE = "whatsapp_connections"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Run:
    connection_id: int
    started_at: datetime
    source_ip: str
    waba_id: str | None = None


class SignupFlow:
    def __init__(self, daemon: Daemon, graph: SignupGraph, keys: KeyRing) -> None:
        self.daemon = daemon
        self.graph = graph
        self.keys = keys

    @property
    def _wa(self) -> Any:
        return self.daemon.config.whatsapp

    def disabled(self) -> Answer | None:
        wa = self._wa
        if not wa.embedded_signup_enabled:
            return Answer(
                409,
                {
                    "error": "embedded_signup_disabled",
                    "detail": "Embedded Signup is off (set whatsapp.embedded_signup_enabled = "
                    "true, with app_id, es_config_id and app_secret_file, and restart)",
                },
            )
        return None

    async def start(self, session: str, source_ip: str) -> Answer:
        refused = self.disabled()
        if refused is not None:
            return refused
        now = self.daemon.clock.now()
        state = secrets.token_urlsafe(32)
        await self.daemon.storage.write(
            cs.open_state, digest(state), digest(session), now, now + rs.STATE_TTL, source_ip
        )
        log.info("signup_started", remote_ip=source_ip)
        return Answer(200, {"state": state, "expires_at": iso(now + rs.STATE_TTL)})

    async def popup_ended(self, session: str, source_ip: str, ended: PopupEnded) -> Answer:
        """The popup closed without a code: a cancel at a step, or an error the user
        reported in it. Spends the state; recorded as the spec's Cancelled or Failed."""
        refused = self.disabled()
        if refused is not None:
            return refused
        now = self.daemon.clock.now()
        spent = await self.daemon.storage.write(
            cs.spend_state, digest(ended.state), digest(session), now, "cancel", source_ip, {}
        )
        if "problem" in spent:
            return await self._state_refused(spent["problem"], now)
        if ended.error_message or ended.error_code:
            name = "Embedded Signup Failed"
            props = {
                "error_code": ended.error_code,
                "error_message": ended.error_message,
                "step_failed": "popup",
            }
        else:
            name = "Embedded Signup Cancelled"
            props = {"step_cancelled": ended.current_step or "unknown"}
        await self.daemon.storage.write(record_event, now, name, None, props)
        log.info("signup_popup_ended", outcome=name, step=ended.current_step)
        self.daemon.after_commit("connection")
        return Answer(200, {"success": True, "recorded": name})

    async def _state_refused(self, problem: str, now: datetime) -> Answer:
        await self.daemon.storage.write(
            record_event,
            now,
            "Embedded Signup Failed",
            None,
            {"error_code": problem, "step_failed": "state"},
        )
        self.daemon.after_commit("connection")
        return Answer(400, {"error": problem, "detail": rs.STATE_DETAIL[problem]})

    async def callback(self, session: str, source_ip: str, given: CallbackInput) -> Answer:
        refused = self.disabled()
        if refused is not None:
            return refused
        # Meta's code is a secret too, for its 30 s: a peer echoing it hides nothing.
        add_secret(given.code)
        storage, clock = self.daemon.storage, self.daemon.clock
        hints = {"waba_id": given.waba_id, "phone_number_id": given.phone_number_id}
        spent = await storage.write(
            cs.spend_state,
            digest(given.state),
            digest(session),
            clock.now(),
            "callback",
            source_ip,
            hints,
        )
        if "problem" in spent:
            return await self._state_refused(spent["problem"], clock.now())
        run = Run(spent["connection_id"], parse_iso(spent["started_at"]), source_ip)
        try:
            return await self._steps(run, given)
        finally:
            self.daemon.after_commit("connection")

    async def _steps(self, run: Run, given: CallbackInput) -> Answer:
        wa, graph = self._wa, self.graph
        # 1. The code, before anything else: it dies about 30 s after the popup made it.
        exchanged = await graph.exchange_code(wa.app_id, wa.app_secret, given.code)
        if isinstance(exchanged, Failed):
            return await self._failed(run, "exchange_code", exchanged)
        token = exchanged.data.get("access_token")
        if not isinstance(token, str) or not token:
            return await self._local(
                run, "exchange_code", "a Meta não devolveu um token", "Meta returned no token"
            )
        add_secret(token)
        key_id, sealed = self.keys.encrypt(token, purpose_of(TABLE, run.connection_id, "token_ct"))
        await self._change(
            run,
            cs.Change(
                fields={"token_ct": sealed, "token_key_id": key_id},
                steps=(cs.Step("exchange_code", "ok"),),
            ),
        )
        # 2. What the token was granted (for the WABA check only; never gated on names).
        fields: dict[str, Any] = {}
        granted: list[str] = []
        checked = await graph.debug_token(token, wa.app_id, wa.app_secret)
        if isinstance(checked, Ok) and isinstance(checked.data.get("data"), dict):
            data = checked.data["data"]
            verdict = token_verdict(data, self.daemon.clock.now())
            if verdict.state == "invalid":
                return await self._local(
                    run,
                    "debug_token",
                    "a Meta diz que o token novo não é válido",
                    "Meta says the new token is not valid",
                )
            granted = rs.granted_wabas(data)
            fields = {
                "token_valid": 1,
                "token_expires_at": iso(verdict.expires_at) if verdict.expires_at else None,
                "data_access_expires_at": (
                    iso(verdict.data_access_expires_at) if verdict.data_access_expires_at else None
                ),
                "token_checked_at": iso(self.daemon.clock.now()),
            }
            step = cs.Step(
                "debug_token",
                "ok",
                detail=f"{len(granted)} account(s) granted",
                detail_pt=f"{len(granted)} conta(s) concedida(s)",
            )
        else:
            # Optional: the daily check asks again. The grant is proved below by a real call.
            said = checked.message if isinstance(checked, Failed) else "no data"
            step = cs.Step(
                "debug_token",
                "skipped",
                detail=f"not answered, checked again daily: {said}",
                detail_pt=f"sem resposta, verificado de novo na checagem diária: {said}",
            )
        await self._change(run, cs.Change(fields=fields, steps=(step,)))
        # 3. The WABA, proved by listing its numbers with the new token.
        waba_id = rs.choose_waba(given.waba_id, granted)
        if waba_id is None:
            pt, en = rs.NUMBER_PROBLEMS["waba_not_granted"]
            return await self._local(run, "waba", pt, en)
        run.waba_id = waba_id
        listed = await graph.phone_numbers(waba_id, token)
        if isinstance(listed, Failed):
            return await self._failed(run, "phone_numbers", listed)
        number = rs.choose_number(given.phone_number_id, rs.parse_numbers(listed.data))
        if isinstance(number, str):
            pt, en = rs.NUMBER_PROBLEMS[number]
            return await self._local(run, "phone_numbers", pt, en)
        coexistence = rs.is_coexistence(given.finish_event, number)
        await self._change(
            run,
            cs.Change(
                fields={
                    "waba_id": waba_id,
                    "phone_number_id": number.id,
                    "display_phone_number": number.display_phone_number,
                    "business_name": number.verified_name,
                    "quality_rating": number.quality_rating,
                    "coexistence": int(coexistence),
                },
                steps=(cs.Step("phone_numbers", "ok", detail=number.display_phone_number),),
            ),
        )
        # 4. Subscribe first, then the override: Meta refuses the override before it.
        subscribed = await graph.subscribe(waba_id, token)
        if isinstance(subscribed, Failed) or subscribed.data.get("success") is not True:
            return await self._failed(run, "subscribe", subscribed)
        steps = [cs.Step("subscribe", "ok")]
        if wa.override_callback_uri:
            override = await graph.subscribe(
                waba_id, token, (wa.override_callback_uri, wa.verify_token)
            )
            if isinstance(override, Failed) or override.data.get("success") is not True:
                await self._change(run, cs.Change(steps=tuple(steps)))
                return await self._failed(run, "override", override)
            steps.append(cs.Step("override", "ok", detail=wa.override_callback_uri))
        await self._change(run, cs.Change(steps=tuple(steps)))
        # 5. A new number is registered with a PIN; a coexistence number never is.
        pin, pin_fields = None, {}
        if coexistence:
            steps = [
                cs.Step(
                    "register",
                    "skipped",
                    detail="coexistence: the number stays on the WhatsApp Business app",
                    detail_pt="coexistência: o número continua no app WhatsApp Business",
                )
            ]
        else:
            pin, source = await register_pin(self.daemon, self.keys, number.id)
            registered = await graph.register(number.id, token, pin)
            if isinstance(registered, Failed) or registered.data.get("success") is not True:
                return await self._failed(run, "register", registered)
            key_id, sealed = self.keys.encrypt(pin, purpose_of(TABLE, run.connection_id, "pin_ct"))
            pin_fields = {"pin_ct": sealed, "pin_key_id": key_id, "pin_source": source}
            steps = [
                cs.Step(
                    "register",
                    "ok",
                    detail=PIN_SOURCES[source][1],
                    detail_pt=PIN_SOURCES[source][0],
                )
            ]
            if source != "generated":
                pin = None  # shown once only when recado made it
        return await self._complete(run, token, number, coexistence, pin, pin_fields, steps)

    async def _complete(
        self,
        run: Run,
        token: str,
        number: rs.Number,
        coexistence: bool,
        pin: str | None,
        pin_fields: dict[str, Any],
        steps: list[cs.Step],
    ) -> Answer:
        now = self.daemon.clock.now()
        seconds = max((now - run.started_at).total_seconds(), 0.0)
        change = cs.Change(
            status="active",
            reason_code="signup",
            reason_pt="Conectado pelo cadastro incorporado da Meta.",
            reason_en="Connected through Meta's Embedded Signup.",
            fields=pin_fields,
            steps=(*steps, cs.Step("connected", "ok")),
            event=(
                "Embedded Signup Completed",
                {
                    "waba_id": run.waba_id,
                    "has_existing_number": coexistence,
                    "time_to_complete_seconds": round(seconds, 1),
                },
            ),
            resume=True,
            source_ip=run.source_ip,
            actor="operator",
        )
        deadline = now + rs.SMB_DEADLINE if coexistence else None
        await self.daemon.storage.write(cs.complete, run.connection_id, now, change, deadline)
        self.daemon.connection_credentials = Credentials(
            token, number.id, "connection", run.connection_id, run.waba_id or ""
        )
        self.daemon.sending_paused = None
        self.daemon.after_commit("sender", "templates")
        log.info(
            "whatsapp_connected",
            connection=run.connection_id,
            waba_id=run.waba_id,
            coexistence=coexistence,
            seconds=round(seconds, 1),
        )
        row = await self.daemon.storage.read(cs.by_id, run.connection_id)
        body: dict[str, Any] = {
            "success": True,
            "connection_id": run.connection_id,
            "status": "active",
            "connection": cs.public(row),
        }
        if pin is not None:
            body["pin"] = pin
        return Answer(200, body)

    async def _change(self, run: Run, change: cs.Change) -> None:
        await self.daemon.storage.write(
            cs.change, run.connection_id, self.daemon.clock.now(), change
        )

    async def _failed(self, run: Run, step: str, answer: Failed | Ok) -> Answer:
        if isinstance(answer, Ok):
            answer = Failed(answer.http_status, None, None, "the answer was not a success", False)
        pt, en = rs.step_failure(
            step, answer.http_status, answer.code, answer.subcode, answer.message
        )
        code = answer.code if answer.code is not None else answer.http_status
        return await self._error(
            run,
            step,
            pt,
            en,
            cs.Step(
                step, "failed", answer.http_status, answer.code, answer.subcode, answer.message
            ),
            str(code) if code is not None else "no_answer",
            answer.message,
        )

    async def _local(self, run: Run, step: str, why_pt: str, why_en: str) -> Answer:
        pt, en = rs.local_failure(step, why_pt, why_en)
        failed = cs.Step(step, "failed", detail=why_en, detail_pt=why_pt)
        return await self._error(run, step, pt, en, failed, step, why_en)

    async def _error(
        self,
        run: Run,
        step: str,
        pt: str,
        en: str,
        failed: cs.Step,
        error_code: str,
        error_message: str,
    ) -> Answer:
        await self._change(
            run,
            cs.Change(
                status="error",
                reason_code=f"{step}_failed",
                reason_pt=pt,
                reason_en=en,
                error_step=step,
                steps=(failed,),
                event=(
                    "Embedded Signup Failed",
                    {
                        "waba_id": run.waba_id,
                        "error_code": error_code,
                        "error_message": error_message,
                        "step_failed": step,
                    },
                ),
                source_ip=run.source_ip,
                actor="operator",
            ),
        )
        log.warning("signup_failed", connection=run.connection_id, step=step, code=error_code)
        locale = self.daemon.config.ui.locale
        return Answer(
            502,
            {
                "error": "signup_failed",
                "detail": en,
                "message": en if locale == "en" else pt,
                "step": step,
                "connection_id": run.connection_id,
            },
        )
