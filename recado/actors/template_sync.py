"""The template sync: reads the WABA's templates from Meta at start, every hour, and when an
operator asks (``recado templates sync``, the templates page), one read at a time.

A read that fails keeps the definitions already stored (the checks before a send go on with
the last known ones) and is recorded with its reason, which the templates page shows. Without
a token or a WABA id nothing is read (the actor looks again every minute): the checks then
know nothing and block nothing. When the token or the WABA change (an Embedded Signup
connection made, ended or lost) the templates are read again at once, with the new ones; a
token Meta refuses on the read puts its connection in error, as a refused send does.
A storage fault is nobody's fault: the read is recorded once storage works again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import trio

from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault
from recado.clock import wait_s
from recado.logs import get_logger
from recado.runtime.context import Daemon
from recado.runtime.template_checks import ListingAccess, listing_access
from recado.runtime.whatsapp_credentials import token_fingerprint
from recado.storage.templates import TemplateSync, record_sync
from recado.whatsapp.template_api import TIMEOUT_S, Fetched, fetch_templates

log = get_logger("template_sync")

EVERY = timedelta(hours=1)
UNCONFIGURED_LOOK_S = 60.0


class TemplateSyncer:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._lock = trio.Lock()
        self._next_at: datetime | None = None
        self._read_with: tuple[str, str] | None = None  # (WABA, token fingerprint) last read

    def configured(self) -> bool:
        return listing_access(self.daemon) is not None

    def next_sync_at(self) -> datetime | None:
        return self._next_at if self.configured() else None

    async def sync_now(self, source_ip: str) -> TemplateSync | None:
        return await self._sync("operator", source_ip)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        trigger = "start"
        while True:
            # Hourly from the start of each read, however long it took.
            self._next_at = self.daemon.clock.now() + EVERY
            try:
                record = await self._sync(trigger)
            except Exception as exc:
                if not is_storage_fault(exc):
                    raise
                log.warning("template_sync_storage_fault", error=describe(exc))
                await trio.sleep(STORAGE_RETRY_S)
                continue
            if record is None:
                # No token or WABA yet (a connection may bring them without a restart).
                await self.daemon.wakeups.templates.wait(UNCONFIGURED_LOOK_S)
                if listing_access(self.daemon) is not None:
                    trigger = "connection"
                continue
            trigger = await self._until(self._next_at)

    async def _until(self, at: datetime) -> str:
        """Wait for the hourly read, or less when the token or WABA change or a send was
        refused for its template's state; the trigger."""
        while True:
            if self._key(listing_access(self.daemon)) != self._read_with:
                return "connection"
            if self.daemon.templates_doubted:
                self.daemon.templates_doubted = False
                return "send_refused"
            # Wall-clock waits are capped (clock.wait_s): a jump of the clock is seen in time.
            delay = wait_s(at, self.daemon.clock.now())
            if delay <= 0:
                return "hourly"
            await self.daemon.wakeups.templates.wait(delay)

    @staticmethod
    def _key(access: ListingAccess | None) -> tuple[str, str] | None:
        return (access.waba_id, token_fingerprint(access.token)) if access else None

    async def _sync(self, trigger: str, source_ip: str | None = None) -> TemplateSync | None:
        """One read; None when the templates cannot be read (no token or no WABA)."""
        async with self._lock:
            access = listing_access(self.daemon)
            if access is None:
                return None
            wa, clock = self.daemon.config.whatsapp, self.daemon.clock
            started = clock.now()
            async with httpx.AsyncClient(
                base_url=wa.graph_base_url.rstrip("/"), timeout=httpx.Timeout(TIMEOUT_S)
            ) as client:
                result = await fetch_templates(client, wa.api_version, access.waba_id, access.token)
            self._read_with = self._key(access)
            record = await self.daemon.storage.write(
                record_sync, trigger, access.waba_id, started, clock.now(), result, source_ip
            )
        if isinstance(result, Fetched):
            log.info(
                "templates_synced",
                trigger=trigger,
                templates=len(result.templates),
                set_aside=len(result.set_aside),
                pages=result.pages,
            )
            for position, why in result.set_aside:
                log.warning("template_set_aside", position=position, reason=why)
        else:
            log.warning(
                "templates_sync_failed", trigger=trigger, code=result.code, reason=result.en
            )
            if result.auth and access.connection is not None:
                await self.daemon.commands.connection.read_refused(
                    access.connection, "templates", result.code, result.pt_br, result.en
                )
        return record
