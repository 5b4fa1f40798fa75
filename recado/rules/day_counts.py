"""The dashboard's "today" counters and its 14-day chart, from the per-quarter-hour
counters of ``daily_counts`` (migration 0012): quarters grouped into the studio's days, and
the success rates the operations guide judges (at least ``EVENT_SUCCESS_MIN``, the
threshold the status uses too).

Messages count by the day they were created and their state now (as the daily report
does). Each state falls in one outcome: read (read, played), delivered, sent (sent, held:
Meta has it), failed (failed, dead), skipped (skipped, canceled: never sent on purpose),
waiting (queued, sending, uncertain). The counters are the guide's funnel: sent counts
every message Meta took (delivered and read ones too), delivered those that reached the
phone (read ones too). A message's success is Meta taking it: sent / (sent + failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from recado.rules import states as st
from recado.rules.health import EVENT_SUCCESS_MIN

CHART_DAYS = 14
MESSAGE_OUTCOMES = ("read", "delivered", "sent", "failed", "skipped", "waiting")
OUTCOME_OF = {
    st.READ: "read",
    st.PLAYED: "read",
    st.DELIVERED: "delivered",
    st.SENT: "sent",
    st.HELD: "sent",
    st.FAILED: "failed",
    st.DEAD: "failed",
    st.SKIPPED: "skipped",
    st.CANCELED: "skipped",
    st.QUEUED: "waiting",
    st.SENDING: "waiting",
    st.UNCERTAIN: "waiting",
}
# A dry run's messages are counted apart ("message_dry_run"): in dry_run nothing reaches
# Meta, and the day must not read as "nothing sent" without saying why.


@dataclass(frozen=True)
class Rate:
    ok: int
    done: int  # ok + failed: what a rate is of
    value: float | None  # None when nothing finished
    good: bool | None  # at least the threshold; None when nothing finished


def rate(ok: int, failed: int) -> Rate:
    done = ok + failed
    if not done:
        return Rate(ok, 0, None, None)
    value = ok / done
    return Rate(ok, done, value, value >= EVENT_SUCCESS_MIN)


@dataclass(frozen=True)
class DayCounts:
    day: date
    messages: dict[str, int]  # by outcome (MESSAGE_OUTCOMES), each message once
    deliveries: dict[str, int]  # by state now, of those created that day
    events: dict[str, int]  # processed | pending | failed
    dry_run: int = 0  # messages that went through a dry run that day, whatever their state


def message_outcomes(by_state: dict[str, int]) -> dict[str, int]:
    found = dict.fromkeys(MESSAGE_OUTCOMES, 0)
    for state, n in by_state.items():
        found[OUTCOME_OF.get(state, "waiting")] += n
    return found


@dataclass(frozen=True)
class MessageCounters:
    sent: int
    delivered: int
    read: int
    failed: int
    skipped: int
    waiting: int
    success: Rate


def message_counters(outcomes: dict[str, int]) -> MessageCounters:
    read = outcomes.get("read", 0)
    delivered = read + outcomes.get("delivered", 0)
    sent = delivered + outcomes.get("sent", 0)
    failed = outcomes.get("failed", 0)
    return MessageCounters(
        sent=sent,
        delivered=delivered,
        read=read,
        failed=failed,
        skipped=outcomes.get("skipped", 0),
        waiting=outcomes.get("waiting", 0),
        success=rate(sent, failed),
    )


def delivery_failed(deliveries: dict[str, int]) -> int:
    return sum(deliveries.get(s, 0) for s in st.DLQ_STATES)


def delivery_rate(deliveries: dict[str, int]) -> Rate:
    return rate(deliveries.get(st.DONE, 0), delivery_failed(deliveries))


def event_rate(events: dict[str, int]) -> Rate:
    return rate(events.get("processed", 0), events.get("failed", 0))


def local_day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def day_spans(today: date, tz: ZoneInfo, days: int = CHART_DAYS) -> list[tuple[datetime, datetime]]:
    """[start, end) of each of the ``days`` studio days ending with ``today``, oldest first:
    each a whole number of quarter hours in UTC (every zone's offset is), so a quarter's
    counter falls in exactly the span of the studio day it starts in."""
    first = today - timedelta(days=days - 1)
    return [
        (
            local_day_start(first + timedelta(days=i), tz),
            local_day_start(first + timedelta(days=i + 1), tz),
        )
        for i in range(days)
    ]


def by_day(
    counts: list[dict[str, dict[str, int]]], today: date, days: int = CHART_DAYS
) -> list[DayCounts]:
    """Each of the ``days`` studio days ending with ``today``, from its counters by metric
    then key (``counts[i]`` is the day ``day_spans`` gives at ``i``; a missing metric is
    all zeros)."""
    first = today - timedelta(days=days - 1)
    return [
        DayCounts(
            day=first + timedelta(days=i),
            messages=message_outcomes(c.get("message", {})),
            deliveries=dict(sorted(c.get("delivery", {}).items())),
            events=dict(sorted(c.get("event", {}).items())),
            dry_run=sum(c.get("message_dry_run", {}).values()),
        )
        for i, c in enumerate(counts)
    ]
