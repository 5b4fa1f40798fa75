"""Scheduled backups: their names, which ones rotation removes, when the next one is due and
when the last good one is too old (an alert at twice the schedule's interval).

The cron schedule is read in the studio's zone (``rules/schedule.py``). A backup's name
carries the instant it was taken, in UTC, so names sort in time order and the directory
alone says which backups exist and how old the newest is: a file takes its name only after
it passed ``integrity_check`` (``storage/backup.py``), so every file named so is good.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from recado.rules.schedule import latest_fire, next_fire

# recado-20261201T041500Z.db
_NAME = re.compile(r"^recado-(\d{8}T\d{6}Z)\.db$")
# What a backup killed halfway leaves (storage/backup.py's .partial and its journals).
_LEFTOVER = re.compile(r"^recado-\d{8}T\d{6}Z\.db\.partial(-journal|-wal)?$")


def backup_name(at: datetime) -> str:
    return f"recado-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}.db"


def taken_at(name: str) -> datetime | None:
    """When a scheduled backup was taken, from its name; None for any other file."""
    m = _NAME.match(name)
    if m is None:
        return None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def to_remove(names: list[str], keep: int) -> list[str]:
    """Our backups beyond the newest ``keep``, and what a backup killed halfway left; any
    other file of the directory is never touched."""
    ours = sorted((n for n in names if taken_at(n) is not None), reverse=True)
    return ours[keep:] + sorted(n for n in names if _LEFTOVER.match(n))


def last_good(names: list[str]) -> datetime | None:
    return max((t for n in names if (t := taken_at(n)) is not None), default=None)


def due(schedule: str, last: datetime | None, now: datetime, tz: ZoneInfo) -> bool:
    """Whether a backup is due now: none was ever taken, or a fire passed since the last
    one (a fire missed while the daemon was down is made up once, at start)."""
    return last is None or latest_fire(schedule, now, tz) > last


def next_look(
    schedule: str,
    last: datetime | None,
    retry_at: datetime | None,
    deadline: datetime,
    now: datetime,
    tz: ZoneInfo,
) -> datetime:
    """When the backup actor looks again. A failed backup waits for its retry; otherwise the
    next fire after the last good backup, not after ``now``: a fire the clock stepped over
    while the actor was busy (or the machine suspended) is then taken at once instead of
    being skipped. The stale deadline, while ahead, wakes it too."""
    if retry_at is not None:
        wake = retry_at
    else:
        wake = next_fire(schedule, last if last is not None else now, tz)
    return min(wake, deadline) if now < deadline else wake


def interval(schedule: str, after: datetime, tz: ZoneInfo) -> float:
    """The schedule's interval after ``after``, in seconds: the gap between its next two
    fires (a schedule of uneven gaps, "0 3 * * 1-5", is measured where it stands)."""
    first = next_fire(schedule, after, tz)
    return (next_fire(schedule, first, tz) - first).total_seconds()


def stale_at(schedule: str, last: datetime, tz: ZoneInfo) -> datetime:
    """When a last good backup taken at ``last`` (or, with none, the instant backups were
    first scheduled) becomes too old: twice the schedule's interval later."""
    return last + timedelta(seconds=2 * interval(schedule, last, tz))


def stale_texts(last: datetime | None, tz: ZoneInfo) -> tuple[str, str]:
    """The stale-backup alert and dashboard reason (pt-BR, English)."""
    if last is None:
        return (
            "Nenhum backup agendado foi feito ainda, e já passou o dobro do intervalo de "
            "backup.schedule: veja o log do recado e o espaço no destino (página Backups).",
            "No scheduled backup has been taken yet, and twice backup.schedule's interval has "
            "passed: see recado's log and the destination's free space (Backups page).",
        )
    shown = last.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    return (
        f"O último backup bom é de {shown}, mais antigo que o dobro do intervalo de "
        "backup.schedule: veja o log do recado e o espaço no destino (página Backups).",
        f"The last good backup is from {shown}, older than twice backup.schedule's interval: "
        "see recado's log and the destination's free space (Backups page).",
    )
