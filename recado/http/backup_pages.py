"""``GET /backups``: the scheduled backups (newest first, size and age), the schedule, the
next one, the last failure and whether the last good one is too old (docs/reference.md).
Everything is read from the directory and the schedule as the backups actor reads them, so
the page, the dashboard's reason and the alert agree."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import trio
from quart import Quart, Response

from recado.clock import iso, parse_iso
from recado.http.views import respond
from recado.rules.backup_schedule import stale_at
from recado.rules.schedule import ScheduleError, next_fire
from recado.runtime.context import Daemon
from recado.storage import backup_files as bf
from recado.storage.settings import get_setting


class BackupItem(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    path: str
    bytes: int
    taken_at: str
    age_s: int
    age: str  # "35 min", "5 h", "3 d"


class BackupFailure(msgspec.Struct, frozen=True, kw_only=True):
    at: str
    path: str
    reason: str


class BackupsPage(msgspec.Struct, frozen=True, kw_only=True):
    scheduled: bool  # backup.schedule is set
    schedule: str
    directory: str
    keep: int
    next_at: str | None
    last_good_at: str | None
    stale_at: str | None  # when the alert is raised unless a good backup comes first
    stale: bool
    last_failure: BackupFailure | None
    backups: list[BackupItem]


def _age(seconds: int) -> str:
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _stale_at(schedule: str, last: datetime | None, since: object, tz: ZoneInfo) -> datetime | None:
    start = last or (parse_iso(since) if isinstance(since, str) else None)
    if start is None:
        return None
    try:
        return stale_at(schedule, start, tz)
    except ScheduleError:
        return None


async def backups_data(daemon: Daemon) -> BackupsPage:
    cfg, now = daemon.config, daemon.clock.now()
    tz = ZoneInfo(cfg.daemon.timezone)
    directory: Path = bf.backup_dir(daemon.data_dir, cfg.backup.dir)
    # In a thread: the directory may be a slow or hung mount; the pages must not wait on it.
    found = await trio.to_thread.run_sync(bf.backups, directory)
    schedule = cfg.backup.schedule
    last = found[0].taken_at if found else None
    deadline = next_at = None
    if schedule:
        since = await daemon.storage.read(get_setting, bf.SCHEDULED_SINCE)
        deadline = _stale_at(schedule, last, since, tz)
        try:
            next_at = next_fire(schedule, now, tz)
        except ScheduleError:
            next_at = None
    failure = await daemon.storage.read(bf.last_failure)
    return BackupsPage(
        scheduled=bool(schedule),
        schedule=schedule,
        directory=str(directory),
        keep=cfg.backup.keep,
        next_at=iso(next_at) if next_at else None,
        last_good_at=iso(last) if last else None,
        stale_at=iso(deadline) if deadline else None,
        stale=deadline is not None and now >= deadline,
        last_failure=None
        if failure is None
        else BackupFailure(
            at=str(failure.get("at", "")),
            path=str(failure.get("path", "")),
            reason=str(failure.get("reason", "")),
        ),
        backups=[
            BackupItem(
                name=b.name,
                path=str(directory / b.name),
                bytes=b.bytes,
                taken_at=iso(b.taken_at),
                age_s=(age := max(0, int((now - b.taken_at).total_seconds()))),
                age=_age(age),
            )
            for b in found
        ],
    )


def install_backup_pages(app: Quart, daemon: Daemon) -> None:
    @app.get("/backups")
    @app.get("/backups.json")
    async def backups() -> Response:
        return await respond("backups.html", await backups_data(daemon))
