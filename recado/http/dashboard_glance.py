"""The dashboard's parts for the morning check (issue 15): the open alerts on top, each
reason with what to do and where, the guide's checklist, today's counters and the 14-day
chart (recado/http/dashboard.py puts them in its data)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec
from markupsafe import Markup
from quart import Quart

from recado.clock import iso
from recado.http.i18n import format_local, translate
from recado.rules import day_counts as dc
from recado.rules.alert_links import alert_href
from recado.rules.locale import pick
from recado.rules.morning_checklist import CheckItem
from recado.storage.alerts import Alert

# The newest few: on a phone the status, its reasons and the checklist must stay in view;
# the rest are one link away (/alerts).
OPEN_ALERTS_SHOWN = 5


class RateGlance(msgspec.Struct, frozen=True, kw_only=True):
    ok: int
    done: int  # what the rate is of: ok + failed
    percent: float | None  # None when nothing finished
    good: bool | None  # at least 95 % (the guide's threshold); None when nothing finished


def rate_glance(r: dc.Rate) -> RateGlance:
    percent = None if r.value is None else round(r.value * 100, 1)
    return RateGlance(ok=r.ok, done=r.done, percent=percent, good=r.good)


class MessagesToday(msgspec.Struct, frozen=True, kw_only=True):
    # The funnel: sent counts delivered and read ones too, delivered counts read ones.
    sent: int
    delivered: int
    read: int
    failed: int
    skipped: int
    waiting: int
    success: RateGlance  # sent / (sent + failed)
    dry_run: int = 0  # went through a dry run (not sent, not in the counts above)


class DeliveriesToday(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    done: int
    waiting: int  # pending or retrying
    failed: int  # dead or archived
    success: RateGlance


class EventsToday(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    processed: int
    pending: int
    failed: int
    success: RateGlance


class TodayGlance(msgspec.Struct, frozen=True, kw_only=True):
    date: str  # the studio's day, YYYY-MM-DD
    messages: MessagesToday
    deliveries: DeliveriesToday
    events: EventsToday


class ChartDay(msgspec.Struct, frozen=True, kw_only=True):
    date: str
    messages: dict[str, int]  # by outcome: read, delivered, sent, failed, skipped, waiting
    deliveries: int  # created that day
    delivery_failures: int  # of those, dead or archived now


class CheckLine(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # healthy | whatsapp | critical_alerts | dlq | sync
    ok: bool
    why: str  # in the studio's language
    href: str


class AlertLine(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: str
    severity: str
    code: str
    subject: str
    text: str
    href: str | None  # the page of what it is about
    acked_at: str | None
    acked_by: str | None
    resolved_at: str | None
    resolved_by: str | None


def alert_line(a: Alert, locale: str) -> AlertLine:
    return AlertLine(
        id=a.id,
        at=a.at,
        severity=a.severity,
        code=a.code,
        subject=a.subject,
        text=pick(locale, a.text_pt, a.text_en),
        href=alert_href(a.code, a.subject),
        acked_at=a.acked_at,
        acked_by=a.acked_by,
        resolved_at=a.resolved_at,
        resolved_by=a.resolved_by,
    )


def today_glance(day: dc.DayCounts) -> TodayGlance:
    m = dc.message_counters(day.messages)
    d, e = day.deliveries, day.events
    return TodayGlance(
        date=day.day.isoformat(),
        messages=MessagesToday(
            sent=m.sent,
            delivered=m.delivered,
            read=m.read,
            failed=m.failed,
            skipped=m.skipped,
            waiting=m.waiting,
            success=rate_glance(m.success),
            dry_run=day.dry_run,
        ),
        deliveries=DeliveriesToday(
            total=sum(d.values()),
            done=d.get("done", 0),
            waiting=d.get("pending", 0) + d.get("retrying", 0),
            failed=dc.delivery_failed(d),
            success=rate_glance(dc.delivery_rate(d)),
        ),
        events=EventsToday(
            total=sum(e.values()),
            processed=e.get("processed", 0),
            pending=e.get("pending", 0),
            failed=e.get("failed", 0),
            success=rate_glance(dc.event_rate(e)),
        ),
    )


def chart_days(days: list[dc.DayCounts]) -> list[ChartDay]:
    return [
        ChartDay(
            date=d.day.isoformat(),
            messages=d.messages,
            deliveries=sum(d.deliveries.values()),
            delivery_failures=dc.delivery_failed(d.deliveries),
        )
        for d in days
    ]


def check_lines(items: list[CheckItem], locale: str, tz: ZoneInfo) -> list[CheckLine]:
    lines = []
    for item in items:
        why = translate(locale, item.why).format(n=item.count)
        if item.jobs:
            jobs = "; ".join(
                translate(locale, f"check.job.{j.outcome}").format(
                    job=j.name, fire=format_local(j.fire, tz) if j.fire else "—"
                )
                for j in item.jobs
            )
            why = f"{why}: {jobs}"
        lines.append(CheckLine(key=item.key, ok=item.ok, why=why, href=item.href))
    return lines


def day_of(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def spans_iso(today: date, tz: ZoneInfo) -> list[tuple[str, str]]:
    return [(iso(start), iso(end)) for start, end in dc.day_spans(today, tz)]


def json_island(value: object) -> Markup:
    """``value`` as JSON to sit in a ``<script type="application/json">``: nothing in it can
    close the element or open a comment."""
    text = msgspec.json.encode(msgspec.to_builtins(value)).decode()
    safe = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    # Every markup character is escaped just above.
    return Markup(safe)


def install_dashboard_helpers(app: Quart) -> None:
    app.add_template_global(json_island, "json_island")
