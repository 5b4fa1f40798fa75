"""``GET /report/daily``: one day in the studio's zone — events, deliveries, sync runs, new
dead letters, messages by state and billable messages by pricing category
(docs/reference.md §9.2)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec
from quart import Quart, Response

from recado.clock import iso
from recado.http.i18n import studio_zone
from recado.http.params import query_day
from recado.http.views import respond
from recado.rules.bounds import EARLIEST_DAY, LATEST_DAY
from recado.runtime.context import Daemon
from recado.storage import counts
from recado.storage import sync as sq


class DeliveryTotals(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    success: int


class DailyReport(msgspec.Struct, frozen=True, kw_only=True):
    date: str  # YYYY-MM-DD
    events: counts.EventOutcomes
    deliveries: DeliveryTotals
    sync_jobs: dict[str, sq.RunCounts]
    dead_letter_added: int
    messages: dict[str, int]  # by state now, of those created that day (dry runs apart)
    # Messages Meta priced as billable that day (its pricing category → count).
    billable: dict[str, int]
    dry_run_messages: dict[str, int]  # the same for messages recorded by a dry run, not sent
    day_min: str  # the date picker's range: rules/bounds
    day_max: str


async def report_data(daemon: Daemon, day: date) -> DailyReport:
    start_dt = datetime(day.year, day.month, day.day, tzinfo=studio_zone(daemon))
    start, end = iso(start_dt), iso(start_dt + timedelta(days=1))
    # One read of the day's counters: the same cost on any day, kept or deleted.
    day_counts = await daemon.storage.read(counts.day_counts, start, end)
    deliveries = counts.delivery_report_of(day_counts)
    runs = counts.sync_runs_of(day_counts)
    # Every configured job, with zeros on a day it did not run.
    idle = {j.name: sq.RunCounts(total=0, success=0) for j in daemon.config.sync}
    return DailyReport(
        date=day.isoformat(),
        events=counts.outcomes_of(day_counts),
        deliveries=DeliveryTotals(total=deliveries.total, success=deliveries.success),
        sync_jobs=idle
        | {job: sq.RunCounts(total=total, success=done) for job, (total, done) in runs.items()},
        dead_letter_added=deliveries.dead_letter_added,
        messages=counts.messages_of(day_counts),
        billable=counts.billable_of(day_counts),
        dry_run_messages=counts.messages_of(day_counts, dry_run=True),
        day_min=EARLIEST_DAY.isoformat(),
        day_max=LATEST_DAY.isoformat(),
    )


def install_report_pages(app: Quart, daemon: Daemon) -> None:
    @app.get("/report/daily")
    @app.get("/report/daily.json")
    async def daily_report() -> Response:
        day = query_day("date") or daemon.clock.now().astimezone(studio_zone(daemon)).date()
        return await respond("report.html", await report_data(daemon, day))
