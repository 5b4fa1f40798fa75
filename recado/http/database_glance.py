"""The database at a glance (dashboard, ``recado db stats``): its size on disk, how fast it
grew between the recent retention runs, the last run and the next one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from recado.clock import iso
from recado.rules.retention import growth_per_day, next_run
from recado.runtime.context import Daemon
from recado.storage.retention import file_bytes, recent_runs


class LastRetention(msgspec.Struct, frozen=True, kw_only=True):
    finished_at: str
    rows: int  # deleted or cleared, every kind
    longest_batch_ms: float  # the longest a batch held the writer
    pages_freed: int


class DatabaseGlance(msgspec.Struct, frozen=True, kw_only=True):
    bytes: int
    growth_bytes_per_day: float | None  # None until two runs a day apart
    next_retention_at: str
    last_retention: LastRetention | None


async def database_glance(daemon: Daemon) -> DatabaseGlance:
    runs = await daemon.storage.read(recent_runs)
    cfg = daemon.config
    last = runs[0] if runs else None
    return DatabaseGlance(
        bytes=file_bytes(daemon.storage.path),
        growth_bytes_per_day=growth_per_day(
            [(datetime.fromisoformat(r.finished_at), r.db_bytes) for r in runs]
        ),
        next_retention_at=iso(
            next_run(daemon.clock.now(), ZoneInfo(cfg.daemon.timezone), cfg.retention.hour)
        ),
        last_retention=None
        if last is None
        else LastRetention(
            finished_at=last.finished_at,
            rows=sum(last.rows.values()),
            longest_batch_ms=last.longest_batch_ms,
            pages_freed=last.pages_freed,
        ),
    )
