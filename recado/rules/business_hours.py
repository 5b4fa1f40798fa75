"""The studio's business hours, as the config writes them: ``"mon-fri 08:00-18:00"``,
``"sat 08:00-12:00"`` (days ``mon`` … ``sun``, a range or a comma list; 24 h times; the end
is excluded). Read in the studio's zone: a webhook silence at 03:00 is no incident."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENTRY = re.compile(r"^\s*([a-z,\-]+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s*$")


class HoursError(ValueError):
    """An entry that does not follow the grammar; the message says which part and why."""


@dataclass(frozen=True)
class Span:
    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start: time
    end: time  # excluded; 24:00 is written as 24:00 and kept as time.max


def _days(text: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        first, sep, last = part.partition("-")
        if first not in DAYS or (sep and last not in DAYS):
            raise HoursError(f'"{part}" is not a day or a range of days (expected e.g. mon-fri)')
        a, b = DAYS.index(first), DAYS.index(last) if sep else DAYS.index(first)
        if b < a:
            raise HoursError(f'"{part}" runs backwards (expected the first day first)')
        out.update(range(a, b + 1))
    return frozenset(out)


def _time(hour: str, minute: str, entry: str) -> time:
    h, m = int(hour), int(minute)
    if h == 24 and m == 0:
        return time.max
    if h > 23 or m > 59:
        raise HoursError(f'"{hour}:{minute}" in "{entry}" is not a time of day')
    return time(h, m)


def parse_hours(entry: str) -> Span:
    m = _ENTRY.match(entry)
    if not m:
        raise HoursError(
            f'"{entry}" is not "<days> HH:MM-HH:MM" (expected e.g. "mon-fri 08:00-18:00")'
        )
    start = _time(m.group(2), m.group(3), entry)
    end = _time(m.group(4), m.group(5), entry)
    if end <= start:
        raise HoursError(f'"{entry}" ends before it starts')
    return Span(_days(m.group(1)), start, end)


def parse_business_hours(entries: Sequence[str]) -> tuple[Span, ...]:
    return tuple(parse_hours(e) for e in entries)


def within(spans: Sequence[Span], local: datetime) -> bool:
    """Whether the local (studio zone) instant falls in any span."""
    moment = local.time().replace(tzinfo=None)
    return any(
        local.weekday() in s.days and s.start <= moment and (moment < s.end or s.end == time.max)
        for s in spans
    )
