"""The connection's health, checked by the connection actor (WHATSAPP.md §9-§10): the daily
``debug_token`` and number lookup, the coexistence syncs with their 24 h deadline, and the
spec's alert rules for the signup flow.

Each check is one pass over what is due now; the actor calls it at start, on every poke, when
the earliest planned retry is due (``tick`` returns it: a retry planned while the clock moved
on is not slept past) and at least every ``clock.MAX_WALL_WAIT_S``. A check that cannot reach
Meta is retried later and never changes the connection's state by itself; only Meta's own
verdict does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from recado.clock import iso, parse_iso
from recado.logs import get_logger
from recado.rules import signup as rs
from recado.rules.connection_health import HEALTH_EVERY, token_verdict
from recado.rules.graph_errors import classify
from recado.runtime.context import Daemon
from recado.storage import smb_syncs as smb
from recado.storage import whatsapp_connections as cs
from recado.storage.alerts import add_alert, list_alerts, resolve_alerts
from recado.storage.product_events import outcomes_since
from recado.whatsapp.signup_graph import SYNC_TYPES, Failed, Ok, SignupGraph

log = get_logger("connection")

RETRY_CHECK = timedelta(hours=1)
SMB_RETRY_BASE_S = 30.0
SMB_RETRY_CAP_S = 1800.0
ERROR_RATE_ALERT = "whatsapp_signup_error_rate"
UNPROCESSED_ALERT = "whatsapp_signup_unprocessed"
SIGNUP_SUBJECT = "whatsapp_signup"


class Health:
    def __init__(
        self,
        daemon: Daemon,
        graph: SignupGraph,
        token_of: Callable[[dict[str, Any]], str | None],
        lost: Callable[[int, str, str, str, str], Awaitable[None]],
    ) -> None:
        self.daemon = daemon
        self.graph = graph
        self._token_of = token_of
        # (connection id, step, reason code, pt, en): the token died; pause and alert.
        self._lost = lost
        self._next_check: datetime | None = None
        # At start the token is checked whatever the last check said; later, daily.
        # (At the stored precision, milliseconds: a check made in the same instant counts.)
        self._started_at = parse_iso(iso(daemon.clock.now()))

    async def tick(self) -> datetime | None:
        """One pass; the earliest planned retry after it (None: none planned)."""
        now = self.daemon.clock.now()
        row = await self.daemon.storage.read(cs.latest)
        planned: list[datetime] = []
        if row is not None and row["status"] == "active":
            if (check_at := await self._check_token(row, now)) is not None:
                planned.append(check_at)
            if row["coexistence"]:
                planned.extend(await self._smb_syncs(row, now))
        await self._stale(now)
        await self._error_rate(now)
        return min(planned, default=None)

    # -- the token and the number, daily ----------------------------------------------------

    def _due(self, row: dict[str, Any], now: datetime) -> bool:
        if self._next_check is not None and now < self._next_check:
            return False
        checked = row["token_checked_at"]
        if checked is None or parse_iso(checked) < self._started_at:
            return True
        return now >= parse_iso(checked) + HEALTH_EVERY

    def _planned_check(self, row: dict[str, Any], now: datetime) -> datetime | None:
        if self._next_check is not None and self._next_check > now:
            return self._next_check
        checked = row["token_checked_at"]
        return parse_iso(checked) + HEALTH_EVERY if checked is not None else None

    async def _check_token(self, row: dict[str, Any], now: datetime) -> datetime | None:
        """The check if it is due; when the next one is planned (None: nothing to check)."""
        if not self._due(row, now):
            return self._planned_check(row, now)
        token = self._token_of(row)
        if token is None:
            return None
        cid, wa = int(row["id"]), self.daemon.config.whatsapp
        answer = await self.graph.debug_token(token, wa.app_id, wa.app_secret)
        if isinstance(answer, Failed) or not isinstance(answer.data.get("data"), dict):
            said = answer.message if isinstance(answer, Failed) else "no data"
            await self._write(cid, now, cs.Change(steps=(cs.Step("health", "retry", detail=said),)))
            self._next_check = now + RETRY_CHECK
            return self._next_check
        verdict = token_verdict(answer.data["data"], now)
        fields = {
            "token_valid": int(verdict.state != "invalid"),
            "token_expires_at": iso(verdict.expires_at) if verdict.expires_at else None,
            "data_access_expires_at": (
                iso(verdict.data_access_expires_at) if verdict.data_access_expires_at else None
            ),
            "token_checked_at": iso(now),
        }
        self._next_check = None
        if verdict.state == "invalid":
            await self._write(cid, now, cs.Change(fields=fields))
            await self._lost(cid, "health", "token_invalid", verdict.pt_br, verdict.en)
            return None
        step = cs.Step(
            "health",
            "ok" if verdict.state == "valid" else "info",
            detail=verdict.en,
            detail_pt=verdict.pt_br,
        )
        alert = None
        if verdict.state == "expiring" and not await self._alert_open(
            "whatsapp_token_expiring", cid
        ):
            alert = ("warning", "whatsapp_token_expiring", verdict.pt_br, verdict.en)
        await self._write(cid, now, cs.Change(fields=fields, steps=(step,), alert=alert))
        await self._check_number(row, token, now)
        return now + HEALTH_EVERY

    async def _check_number(self, row: dict[str, Any], token: str, now: datetime) -> None:
        cid = int(row["id"])
        answer = await self.graph.phone_number(row["phone_number_id"], token)
        if isinstance(answer, Ok):
            fields = {
                k: rs.meta_text(answer.data[k])
                for k in ("display_phone_number", "quality_rating")
                if isinstance(answer.data.get(k), str)
            }
            if isinstance(answer.data.get("verified_name"), str):
                fields["business_name"] = rs.meta_text(answer.data["verified_name"])
            step = cs.Step("number", "ok", detail=str(fields.get("quality_rating") or ""))
            await self._write(cid, now, cs.Change(fields=fields, steps=(step,)))
        elif answer.token_dead:
            c = classify(answer.http_status, answer.code, answer.subcode)
            await self._lost(cid, "number", c.reason_code, c.pt_br, c.en)
        else:
            step = cs.Step(
                "number", "retry", answer.http_status, answer.code, answer.subcode, answer.message
            )
            await self._write(cid, now, cs.Change(steps=(step,)))

    async def _alert_open(self, code: str, connection_id: int) -> bool:
        subject = f"whatsapp_connection:{connection_id}"
        alerts = await self.daemon.storage.read(list_alerts, False)
        return any(a.code == code and a.subject == subject for a in alerts)

    # -- coexistence: the two one-time syncs --------------------------------------------------

    async def _smb_syncs(self, row: dict[str, Any], now: datetime) -> list[datetime]:
        """Requests the syncs that are due; the instants of the retries still planned."""
        cid = int(row["id"])
        syncs = await self.daemon.storage.read(smb.smb_syncs, cid)
        token = self._token_of(row)
        for sync in syncs:
            if sync["status"] != "pending" or token is None:
                continue
            if sync["next_at"] and parse_iso(sync["next_at"]) > now:
                continue
            await self._request_sync(cid, sync, token, now)
        syncs = await self.daemon.storage.read(smb.smb_syncs, cid)
        # Retries planned by this pass (after its ``now``); one still due could not be asked
        # for (no token yet) and waits for a poke, not a busy loop.
        planned = [
            at
            for s in syncs
            if s["status"] == "pending" and s["next_at"] and (at := parse_iso(s["next_at"])) > now
        ]
        late = [s for s in syncs if s["status"] != "done" and s["alerted_at"] is None]
        if late and now >= parse_iso(late[0]["deadline_at"]) - (
            rs.SMB_DEADLINE - rs.SMB_ALERT_AFTER
        ):
            names = ", ".join(s["sync_type"] for s in late)
            deadline = parse_iso(late[0]["deadline_at"])
            local = deadline.astimezone(ZoneInfo(self.daemon.config.daemon.timezone)).strftime(
                "%d/%m/%Y %H:%M"
            )
            await self.daemon.storage.write(
                smb.alert_smb_late,
                cid,
                now,
                (
                    "critical",
                    "whatsapp_smb_sync_late",
                    f"As sincronizações únicas com o app WhatsApp Business ({names}) ainda não "
                    f"foram concluídas e o prazo da Meta termina em {local}; depois disso é "
                    "preciso desconectar e cadastrar o número de novo.",
                    f"The one-time syncs with the WhatsApp Business app ({names}) are not done "
                    f"and Meta's deadline ends at {local}; after that the number must be "
                    "offboarded and signed up again.",
                ),
            )
        elif late:
            planned.append(
                parse_iso(late[0]["deadline_at"]) - (rs.SMB_DEADLINE - rs.SMB_ALERT_AFTER)
            )
        return planned

    async def _request_sync(
        self, cid: int, sync: dict[str, Any], token: str, now: datetime
    ) -> None:
        sync_type = sync["sync_type"]
        row = await self.daemon.storage.read(cs.by_id, cid)
        phone = row["phone_number_id"] if row else None
        if phone is None or sync_type not in SYNC_TYPES:
            return
        answer = await self.graph.smb_app_data(phone, token, sync_type)
        attempt = int(sync["attempts"]) + 1
        args: tuple[str, datetime | None, str | None, int | None, str]
        if isinstance(answer, Ok):
            request_id = str(answer.data.get("request_id") or "")
            step = cs.Step("smb_sync", "ok", detail=f"{sync_type}: request {request_id}")
            args = ("done", None, request_id or None, None, "")
        elif answer.transient and not answer.token_dead:
            delay = min(SMB_RETRY_BASE_S * 2 ** (attempt - 1), SMB_RETRY_CAP_S)
            step = cs.Step(
                "smb_sync",
                "retry",
                answer.http_status,
                answer.code,
                answer.subcode,
                f"{sync_type}: {answer.message}",
            )
            args = ("pending", now + timedelta(seconds=delay), None, answer.code, answer.message)
        else:
            step = cs.Step(
                "smb_sync",
                "failed",
                answer.http_status,
                answer.code,
                answer.subcode,
                f"{sync_type}: {answer.message}",
            )
            args = ("failed", None, None, answer.code, answer.message)
        await self.daemon.storage.write(smb.update_smb_sync, cid, sync_type, now, *args, step)
        log.info("smb_sync", connection=cid, sync_type=sync_type, outcome=step.outcome)
        if isinstance(answer, Failed) and answer.token_dead:
            # Not the sync's fault: the token is dead, so the connection is lost (190 on any
            # call), with sending paused and its critical alert.
            c = classify(answer.http_status, answer.code, answer.subcode)
            await self._lost(cid, "smb_sync", c.reason_code, c.pt_br, c.en)
        elif isinstance(answer, Failed) and step.outcome == "failed":
            await self.daemon.storage.write(
                cs.change,
                cid,
                now,
                cs.Change(
                    alert=(
                        "critical",
                        "whatsapp_smb_sync_refused",
                        f"A Meta recusou a sincronização {sync_type} com o app WhatsApp "
                        f"Business: {answer.message}.",
                        f"Meta refused the {sync_type} sync with the WhatsApp Business app: "
                        f"{answer.message}.",
                    )
                ),
            )

    # -- the spec's alert rules ---------------------------------------------------------------

    async def _stale(self, now: datetime) -> None:
        """Callbacks not processed: a connection left ``connecting`` (a crash or a hung
        call mid-flow), or a signup started whose page never came back before its state
        expired."""
        for cid in await self.daemon.storage.read(cs.stale_connecting, now - rs.CONNECTING_STALE):
            pt = (
                "O cadastro do WhatsApp foi interrompido antes de terminar (o recado parou ou "
                "a Meta não respondeu); a conexão não foi concluída. Conecte de novo."
            )
            en = (
                "The WhatsApp signup was interrupted before it finished (recado stopped or "
                "Meta did not answer); the connection was not completed. Connect again."
            )
            await self._write(
                cid,
                now,
                cs.Change(
                    status="error",
                    reason_code="interrupted",
                    reason_pt=pt,
                    reason_en=en,
                    error_step="store",
                    steps=(cs.Step("store", "failed", detail=en, detail_pt=pt),),
                    event=(
                        "Embedded Signup Failed",
                        {"error_code": "interrupted", "step_failed": "store"},
                    ),
                    alert=("warning", UNPROCESSED_ALERT, pt, en),
                ),
            )
        expired = await self.daemon.storage.read(cs.expired_states, now)
        if expired:
            n = len(expired)
            await self.daemon.storage.write(
                cs.mark_states_alerted,
                [s["state_hash"] for s in expired],
                now,
                (
                    "warning",
                    UNPROCESSED_ALERT,
                    f"{n} cadastro(s) do WhatsApp iniciado(s) não voltaram ao recado em 10 "
                    "minutos (a janela da Meta foi fechada ou o código não chegou).",
                    f"{n} WhatsApp signup(s) started did not come back to recado within 10 "
                    "minutes (Meta's window was closed or the code never arrived).",
                ),
            )

    async def _error_rate(self, now: datetime) -> None:
        counts = await self.daemon.storage.read(outcomes_since, now - rs.ERROR_RATE_WINDOW)
        completed = counts.get("Embedded Signup Completed", 0)
        failed = counts.get("Embedded Signup Failed", 0)
        alerts = await self.daemon.storage.read(list_alerts, False)
        is_open = any(a.code == ERROR_RATE_ALERT for a in alerts)
        if rs.error_rate_exceeded(completed, failed) and not is_open:
            ended = completed + failed
            rate = failed / ended
            await self.daemon.storage.write(
                add_alert,
                now,
                "warning",
                ERROR_RATE_ALERT,
                SIGNUP_SUBJECT,
                f"{rate:.0%} dos cadastros do WhatsApp da última hora falharam "
                f"({failed} de {ended}); veja a página Conectar WhatsApp.",
                f"{rate:.0%} of the WhatsApp signups of the last hour failed "
                f"({failed} of {ended}); see the Connect WhatsApp page.",
            )
        elif is_open and not rs.error_rate_exceeded(completed, failed):
            await self.daemon.storage.write(resolve_alerts, ERROR_RATE_ALERT, SIGNUP_SUBJECT, now)

    async def _write(self, cid: int, now: datetime, change: cs.Change) -> None:
        await self.daemon.storage.write(cs.change, cid, now, change)
