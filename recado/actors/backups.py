"""Scheduled backups: at each fire of ``backup.schedule`` (cron, the studio's zone) a backup
into ``backup.dir`` through the storage actor's checked copy (``storage/backup.py``: a
``.partial`` file, ``integrity_check``, then the rename), then the rotation keeps the newest
``backup.keep`` of ours. The first backup is taken at start when the directory holds none,
and a fire missed while the daemon was down is made up once at start.

A backup that fails (the destination full, missing or read-only, a copy that fails its
check) is logged, kept for the backups page, and tried again within the hour. When the
last good backup (with none, the instant backups were first scheduled) is older than twice
the schedule's interval an alert is raised, resolved by the next good backup. A storage
fault is nobody's fault here: the step waits and runs again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import trio

from recado.actors.isolation import STORAGE_RETRY_S, describe, is_storage_fault, until_stored
from recado.clock import parse_iso, wait_s
from recado.logs import get_logger
from recado.rules.backup_schedule import (
    backup_name,
    due,
    last_good,
    next_look,
    stale_at,
    stale_texts,
)
from recado.rules.schedule import next_fire
from recado.runtime.context import Daemon
from recado.storage import backup_files as bf
from recado.storage.alerts import add_alert_once, resolve_alerts, resolve_other_subjects
from recado.storage.backup import BackupFailed

log = get_logger("backups")

RETRY = timedelta(hours=1)
STALE_CODE = "backup_stale"


class Backups:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._retry_at: datetime | None = None
        self._since: datetime | None = None
        # Whether the stale alert is open, as last written (None: not known since the start).
        self._stale: bool | None = None

    @property
    def directory(self) -> Path:
        return bf.backup_dir(self.daemon.data_dir, self.daemon.config.backup.dir)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        if not self.daemon.config.backup.schedule:
            # Nothing is watched: a stale alert from when backups were scheduled is over.
            await until_stored(lambda: self._forget_others(None), log, "backup_storage_fault")
            await trio.sleep_forever()
        while True:
            try:
                delay = await self.step()
            except Exception as exc:
                if not is_storage_fault(exc):
                    raise
                log.warning("backup_storage_fault", error=describe(exc))
                delay = STORAGE_RETRY_S
            await trio.sleep(delay)

    async def step(self) -> float:
        """A backup if one is due, the stale check; the seconds until the next look."""
        d = self.daemon
        schedule, tz = d.config.backup.schedule, ZoneInfo(d.config.daemon.timezone)
        if self._since is None:
            await self._forget_others(str(self.directory))
            self._since = parse_iso(await d.storage.write(bf.scheduled_since, d.clock.now()))
        now = d.clock.now()
        last = last_good(await trio.to_thread.run_sync(bf.names, self.directory))
        if due(schedule, last, now, tz) and (self._retry_at is None or now >= self._retry_at):
            if await self.backup_once(now):
                self._retry_at = None
                last = last_good(await trio.to_thread.run_sync(bf.names, self.directory))
            else:
                self._retry_at = min(now + RETRY, next_fire(schedule, now, tz))
        now = d.clock.now()
        deadline = stale_at(schedule, last or self._since, tz)
        await self._alert(now >= deadline, last, now, tz)
        # Read again after the write: a clock that moved meanwhile would be slept past.
        now = d.clock.now()
        return wait_s(next_look(schedule, last, self._retry_at, deadline, now, tz), now)

    async def backup_once(self, now: datetime) -> bool:
        d = self.daemon
        dest = self.directory / backup_name(now)
        try:
            done = await d.storage.backup(dest)
        except (BackupFailed, FileExistsError, RuntimeError) as exc:
            # The destination's failure (or a copy that failed its check), not the database's.
            log.warning("backup_failed", path=str(dest), error=str(exc))
            await d.storage.write(bf.record_failure, d.clock.now(), str(dest), str(exc))
            return False
        removed = await trio.to_thread.run_sync(bf.rotate, self.directory, d.config.backup.keep)
        await d.storage.write(bf.clear_failure)
        log.info("backup_done", path=done.path, bytes=done.bytes, removed=removed)
        return True

    async def _forget_others(self, subject: str | None) -> None:
        """Stale alerts and the last failure about another directory than ``subject`` (the
        config moved, or turned backups off, since) are forgotten: nothing would ever resolve
        or clear them."""
        gone = await self.daemon.storage.write(
            resolve_other_subjects, STALE_CODE, subject, self.daemon.clock.now()
        )
        failure = await self.daemon.storage.write(bf.clear_failure_elsewhere, subject)
        if gone or failure:
            log.info(
                "backup_stale_forgotten", alerts=gone, failure=failure, directory=subject or ""
            )

    async def _alert(self, stale: bool, last: datetime | None, now: datetime, tz: ZoneInfo) -> None:
        storage, subject = self.daemon.storage, str(self.directory)
        if stale == self._stale:
            return
        if stale:
            pt, en = stale_texts(last, tz)
            if await storage.write(add_alert_once, now, "warning", STALE_CODE, subject, pt, en):
                log.warning("backup_stale", directory=subject, last_good=str(last))
        elif await storage.write(resolve_alerts, STALE_CODE, subject, now):
            log.info("backup_stale_resolved", directory=subject)
        self._stale = stale
