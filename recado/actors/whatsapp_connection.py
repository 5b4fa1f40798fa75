"""The WhatsApp connection actor: answers ``daemon.commands.connection`` (the signup flow,
status, disconnect, key rotation, a token Meta refused) and keeps the connection healthy.

It holds what the daemon must not re-derive on every send: the key ring and the active
connection's decrypted token, handed to the sender through ``daemon.connection_credentials``.
After anything that may have changed the record (a poke: a webhook applied, a signup
ended) it reads the record again, so the credentials, the pause and the dashboard follow it.
"""

from __future__ import annotations

import base64
from typing import Any

import trio

from recado.actors.connection_health import Health
from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault
from recado.actors.signup_flow import TABLE, SignupFlow
from recado.clock import MAX_WALL_WAIT_S, iso, wait_s
from recado.logs import add_secret, get_logger
from recado.runtime.connection_commands import (
    Answer,
    CallbackInput,
    ConnectionStatus,
    PopupEnded,
    connection_status,
)
from recado.runtime.context import Daemon
from recado.runtime.keyring import KeyRing, KeyUnavailable, purpose_of
from recado.runtime.whatsapp_credentials import Credentials
from recado.storage import smb_syncs as smb
from recado.storage import whatsapp_connections as cs
from recado.storage.settings import get_setting
from recado.token_crypto import Unreadable
from recado.whatsapp.signup_graph import Failed, SignupGraph

log = get_logger("connection")


class ConnectionActor:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        cfg = daemon.config
        previous = cfg.security.previous_secret_key
        self.keys = KeyRing(
            daemon.storage,
            daemon.clock,
            daemon.secret_key,
            base64.b64decode(previous) if previous else b"",
        )
        self.graph = SignupGraph(cfg.whatsapp.graph_base_url, cfg.whatsapp.api_version)
        self.flow = SignupFlow(daemon, self.graph, self.keys)
        self.health = Health(daemon, self.graph, self._token_of, self._lost)
        self._tokens: dict[tuple[int, str], str] = {}
        self._flagged_unreadable: set[int] = set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        started = False
        try:
            while True:
                try:
                    await self.keys.ready()
                    await self._refresh(initial=not started)
                    if not started:
                        started = True
                        task_status.started()
                    planned = await self.health.tick()
                except Exception as exc:
                    if not is_storage_fault(exc):
                        raise
                    log.warning("connection_storage_fault", error=describe(exc))
                    if not started:
                        started = True
                        task_status.started()
                    await trio.sleep(STORAGE_RETRY_S)
                    continue
                await self.daemon.wakeups.connection.wait(
                    min(wait_s(planned, self.daemon.clock.now()), MAX_WALL_WAIT_S)
                )
        finally:
            with trio.CancelScope(shield=True):
                await self.graph.aclose()

    # -- what the record says, in memory ---------------------------------------------------

    def _token_of(self, row: dict[str, Any]) -> str | None:
        if row.get("token_ct") is None:
            return None
        key = (int(row["id"]), str(row["token_key_id"]))
        token = self._tokens.get(key)
        if token is None:
            try:
                token = self.keys.decrypt(
                    row["token_key_id"],
                    bytes(row["token_ct"]),
                    purpose_of(TABLE, int(row["id"]), "token_ct"),
                )
            except (KeyUnavailable, Unreadable) as exc:
                log.error("token_unreadable", connection=row["id"], error=describe(exc))
                return None
            add_secret(token)
            self._tokens = {key: token}
        return token

    async def _refresh(self, *, initial: bool = False) -> None:
        storage = self.daemon.storage
        row = await storage.read(cs.latest)
        credentials = None
        if row is not None and row["status"] == "active":
            token = self._token_of(row)
            if token is not None:
                credentials = Credentials(
                    token, row["phone_number_id"], "connection", row["id"], row["waba_id"] or ""
                )
            elif row["id"] not in self._flagged_unreadable:
                self._flagged_unreadable.add(row["id"])
                await self._unreadable(int(row["id"]))
        changed = credentials != self.daemon.connection_credentials
        self.daemon.connection_credentials = credentials
        if not initial:
            # At start the sender loads the pause itself (and lifts it for a new token).
            paused = await storage.read(get_setting, cs.PAUSE_KEY)
            changed = changed or paused != self.daemon.sending_paused
            self.daemon.sending_paused = paused
            if changed:
                self.daemon.after_commit("sender", "templates")

    async def _unreadable(self, cid: int) -> None:
        pt = (
            "O token da conexão não pode ser lido com a chave mestra atual "
            "(security.secret_key mudou?). Configure security.previous_secret_key_file com a "
            "chave antiga e reinicie, ou conecte o WhatsApp de novo."
        )
        en = (
            "The connection's token cannot be read with the current master key "
            "(did security.secret_key change?). Set security.previous_secret_key_file to the "
            "old key and restart, or connect WhatsApp again."
        )
        await self.daemon.storage.write(
            cs.change,
            cid,
            self.daemon.clock.now(),
            cs.Change(
                status="error",
                reason_code="key_unavailable",
                reason_pt=pt,
                reason_en=en,
                error_step="store",
                steps=(cs.Step("store", "failed", detail=en, detail_pt=pt),),
                alert=("critical", "whatsapp_connection", pt, en),
            ),
        )

    async def _lost(self, cid: int, step: str, reason_code: str, pt: str, en: str) -> None:
        """Meta says the connection's token is dead: error, sending paused, an alert."""
        now = self.daemon.clock.now()
        pause = {
            "code": reason_code,
            "reason_code": reason_code,
            "at": iso(now),
            "connection": cid,
            "token": None,
        }
        creds = self.daemon.connection_credentials
        if creds is not None and creds.connection_id == cid:
            pause["token"] = creds.fingerprint
        await self.daemon.storage.write(
            cs.change,
            cid,
            now,
            cs.Change(
                status="error",
                reason_code=reason_code,
                reason_pt=pt,
                reason_en=en,
                error_step=step,
                steps=(cs.Step(step, "failed", detail=en, detail_pt=pt),),
                alert=("critical", "whatsapp_connection", pt, en),
                pause=pause,
            ),
        )
        log.error("whatsapp_connection_lost", connection=cid, step=step, reason=reason_code)
        await self._refresh()

    # -- daemon.commands.connection ----------------------------------------------------------

    async def start(self, session: str, source_ip: str) -> Answer:
        return await self.flow.start(session, source_ip)

    async def callback(self, session: str, source_ip: str, given: CallbackInput) -> Answer:
        await self.keys.ready()
        return await self.flow.callback(session, source_ip, given)

    async def popup_ended(self, session: str, source_ip: str, ended: PopupEnded) -> Answer:
        return await self.flow.popup_ended(session, source_ip, ended)

    async def status(self) -> ConnectionStatus:
        row = await self.daemon.storage.read(cs.latest)
        creds = self.daemon.whatsapp_credentials()
        syncs = await self.daemon.storage.read(smb.smb_syncs, row["id"]) if row else []
        return connection_status(row, syncs, creds.source if creds else "none")

    async def disconnect(self, source_ip: str) -> Answer:
        row = await self.daemon.storage.read(cs.latest)
        if row is None or row["status"] == "disconnected":
            return Answer(
                409, {"error": "not_connected", "detail": "no WhatsApp connection to disconnect"}
            )
        cid, token = int(row["id"]), self._token_of(row)
        unsubscribed = False
        step = cs.Step(
            "unsubscribe",
            "skipped",
            detail="no token or account to unsubscribe",
            detail_pt="sem token ou conta para cancelar a inscrição",
        )
        if token is not None and row["waba_id"]:
            answer = await self.graph.unsubscribe(row["waba_id"], token)
            unsubscribed = not isinstance(answer, Failed)
            step = (
                cs.Step("unsubscribe", "ok")
                if not isinstance(answer, Failed)
                else cs.Step(
                    "unsubscribe",
                    "failed",
                    answer.http_status,
                    answer.code,
                    answer.subcode,
                    answer.message,
                )
            )
        await self.daemon.storage.write(
            cs.change,
            cid,
            self.daemon.clock.now(),
            cs.Change(
                status="disconnected",
                reason_code="operator",
                reason_pt="Desconectado pelo operador.",
                reason_en="Disconnected by the operator.",
                steps=(step,),
                event=("WhatsApp Disconnected", {"waba_id": row["waba_id"], "reason": "operator"}),
                source_ip=source_ip,
                actor="operator",
            ),
        )
        log.info("whatsapp_disconnected", connection=cid, unsubscribed=unsubscribed)
        await self._refresh()
        return Answer(
            200,
            {
                "success": True,
                "connection_id": cid,
                "status": "disconnected",
                "unsubscribed": unsubscribed,
            },
        )

    async def rotate_keys(self, source_ip: str) -> Answer:
        try:
            rotation = await self.keys.rotate(source_ip)
        except (KeyUnavailable, Unreadable) as exc:
            return Answer(
                409,
                {
                    "error": "keys_unreadable",
                    "detail": f"a stored secret cannot be decrypted ({exc}); set "
                    "security.previous_secret_key_file to the old master key and restart first",
                },
            )
        self._tokens = {}
        await self._refresh()
        return Answer(
            200,
            {
                "key_id": rotation.key_id,
                "reencrypted": rotation.reencrypted,
                "retired": rotation.retired,
                "master_key_id": self.keys.master_id,
            },
        )

    async def token_refused(
        self, credentials: Credentials, code: int | None, reason_pt: str, reason_en: str
    ) -> None:
        """A send made with the connection's token got 190: the connection is in error (the
        sender has paused sending and raised the alert already)."""
        if credentials.source != "connection" or credentials.connection_id is None:
            return
        await self.daemon.storage.write(
            cs.change,
            credentials.connection_id,
            self.daemon.clock.now(),
            cs.Change(
                status="error",
                reason_code=f"graph_{code}",
                reason_pt=reason_pt,
                reason_en=reason_en,
                error_step="send",
                steps=(
                    cs.Step("send", "failed", code=code, detail=reason_en, detail_pt=reason_pt),
                ),
            ),
        )
        self.daemon.connection_credentials = None
        self.daemon.after_commit("connection")

    async def read_refused(
        self, credentials: Credentials, step: str, reason_code: str, pt: str, en: str
    ) -> None:
        """A read made with the connection's token (the templates) got 190: lost, unless
        the connection changed meanwhile (a reconnect's new token is not the refused one)."""
        current = self.daemon.connection_credentials
        if current is None or current.connection_id is None or current != credentials:
            return
        await self._lost(current.connection_id, step, reason_code, pt, en)
