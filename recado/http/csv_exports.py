"""CSV beside JSON (docs/reference.md §9.2): the messages list with its filters, the dead
letters, and one day's report, for a spreadsheet.

RFC 4180 through the stdlib ``csv`` module (commas, CRLF, quotes doubled), UTF-8 with a BOM
so Excel reads the accents, every time as the pages show it (dd/mm/aaaa HH:MM in the
studio's zone) and every state in the pages' words; each cell passes
``rules/csv_cells.safe_cell`` so no cell runs as a formula. The messages and the dead
letters are streamed in pages and stop at ``EXPORT_MAX`` rows: an export is bounded like
every list. The filters are read before the first byte, so a bad one is the list's 422.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from functools import cache

from quart import Quart, Response

from recado.http.i18n import format_local, page_locale, studio_zone, translate
from recado.http.message_pages import (
    MessageFilters,
    message_filters,
    message_rows,
    next_cursor,
    with_clients,
)
from recado.http.params import query_choice, query_day
from recado.http.report_pages import DailyReport, report_data
from recado.rules.csv_cells import safe_cell
from recado.rules.phone import display_phone
from recado.rules.states import DLQ_STATES
from recado.runtime.context import Daemon
from recado.storage.delivery_queries import dlq_page

# Rows an export holds at most, and how many one read of the storage actor takes.
EXPORT_MAX = 10_000
BATCH = 500
BOM = "\ufeff"


def csv_lines(rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV text, one line each. A whole page of rows is written at once and sent
    as one chunk: a chunk per row cost more than the rows (10,000 trips through the server's
    send path and the socket for a full export, most of its time)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([safe_cell(c) for c in r] for r in rows)
    return out.getvalue()


def csv_line(cells: Sequence[object]) -> str:
    return csv_lines([cells])


def csv_response(name: str, lines: AsyncIterator[str]) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield BOM.encode()
        async for line in lines:
            yield line.encode()

    response = Response(body(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


async def message_lines(
    daemon: Daemon, f: MessageFilters, batch: int = BATCH, most: int = EXPORT_MAX
) -> AsyncIterator[str]:
    locale = page_locale(daemon)

    # The same few words on every row (a kind, a state): looked up once per export.
    @cache
    def t(key: str) -> str:
        return translate(locale, key)

    yield csv_line(
        [
            t("csv.id"),
            t("csv.client"),
            t("csv.phone"),
            t("csv.kind"),
            t("csv.state"),
            t("csv.queued_at"),
            t("csv.due_at"),
            t("csv.sent_at"),
            t("csv.reason"),
            t("csv.dry_run"),
        ]
    )
    tz, before, written = studio_zone(daemon), f.before, 0
    region = daemon.config.studio.country
    while written < most:
        limit = min(batch, most - written)
        rows = await message_rows(daemon, f, before, limit)
        if not rows:
            return
        yield csv_lines(
            [
                [
                    m.id,
                    m.client,
                    # Always the number, also for a client the pages name by it alone.
                    _phone(m.to_number or m.customer_phone, region),
                    t(f"kind.{m.kind}"),
                    t(f"mstate.{m.state}"),
                    m.created_local,
                    format_local(m.due_at, tz) if m.state == "queued" else "",
                    format_local(m.sent_at, tz) if m.sent_at else "",
                    m.reason_text,
                    t("csv.yes") if m.dry_run else t("csv.no"),
                ]
                for m in rows
            ]
        )
        written += len(rows)
        cursor = next_cursor(rows, limit)
        if cursor is None:
            return
        before = cursor


def _phone(e164: str | None, region: str) -> str:
    return display_phone(e164, region) if e164 else ""


async def dlq_lines(
    daemon: Daemon, state: str, batch: int = BATCH, most: int = EXPORT_MAX
) -> AsyncIterator[str]:
    locale, tz = page_locale(daemon), studio_zone(daemon)
    header = [
        translate(locale, "csv.id"),
        translate(locale, "csv.event"),
        translate(locale, "csv.target"),
        translate(locale, "csv.attempts"),
        translate(locale, "csv.last_error"),
        translate(locale, "csv.dead_at"),
    ]
    yield csv_line(header)
    offset = 0
    while offset < most:
        limit = min(batch, most - offset)
        _, rows = await daemon.storage.read(dlq_page, state, limit, offset)
        if not rows:
            return
        yield csv_lines(
            [r.id, r.event_id, r.action, r.attempts, r.last_error, format_local(r.dead_at, tz)]
            for r in rows
        )
        if len(rows) < limit:
            return
        offset += limit


def report_rows(report: DailyReport, locale: str) -> Iterable[list[object]]:
    """Section, item, count: one line per number of the report page."""

    def t(key: str) -> str:
        return translate(locale, key)

    events = report.events
    yield [t("csv.section.events"), t("csv.total"), events.total]
    yield [t("csv.section.events"), t("csv.processed"), events.processed]
    yield [t("csv.section.events"), t("csv.failed"), events.failed]
    yield [t("csv.section.deliveries"), t("csv.total"), report.deliveries.total]
    yield [t("csv.section.deliveries"), t("csv.success"), report.deliveries.success]
    yield [t("csv.section.deliveries"), t("csv.dead_letter_added"), report.dead_letter_added]
    for job, runs in report.sync_jobs.items():
        yield [t("csv.section.sync"), f"{job} · {t('csv.total')}", runs.total]
        yield [t("csv.section.sync"), f"{job} · {t('csv.success')}", runs.success]
    for state, n in report.messages.items():
        yield [t("csv.section.messages"), t(f"mstate.{state}"), n]
    for category, n in report.billable.items():
        label = t(f"pricing.{category}")
        yield [t("csv.section.billable"), category if label == f"pricing.{category}" else label, n]
    for state, n in report.dry_run_messages.items():
        word = t("mstate.dry_run_sent") if state == "sent" else t(f"mstate.{state}")
        yield [t("csv.section.dry_run"), word, n]


async def report_lines(daemon: Daemon, day: date) -> AsyncIterator[str]:
    locale = page_locale(daemon)
    report = await report_data(daemon, day)
    yield csv_line(
        [
            translate(locale, "report.section"),
            translate(locale, "report.item"),
            translate(locale, "report.count"),
        ]
    )
    yield csv_lines(report_rows(report, locale))


def install_csv_exports(app: Quart, daemon: Daemon) -> None:
    @app.get("/messages.csv")
    async def messages_csv() -> Response:
        f = await with_clients(daemon, message_filters(daemon, paged=False))
        return csv_response("messages.csv", message_lines(daemon, f))

    @app.get("/dlq.csv")
    async def dlq_csv() -> Response:
        state = query_choice("state", DLQ_STATES, "dead")
        assert state is not None  # the default
        return csv_response(f"dlq-{state}.csv", dlq_lines(daemon, state))

    @app.get("/report.csv")
    async def report_csv() -> Response:
        day = query_day("date") or daemon.clock.now().astimezone(studio_zone(daemon)).date()
        return csv_response(f"report-{day.isoformat()}.csv", report_lines(daemon, day))
