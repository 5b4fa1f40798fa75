"""Dates, times, numbers and money on pages are made by Babel for the page's locale and, for
instants, in the studio's zone (issue 15, item 8): instants stay ``dd/mm/aaaa HH:MM`` 24 h in
both locales, numbers take the locale's separators, money is R$."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.http import local_formats as lf
from recado.http.i18n import format_local
from tests.conftest import running_daemon

LOCALES = ("pt-BR", "en")
ZONES = ("America/Sao_Paulo", "America/Manaus", "America/Noronha", "UTC", "Asia/Kolkata")
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


@given(instants, st.sampled_from(ZONES), st.sampled_from(LOCALES))
def test_an_instant_is_dd_mm_yyyy_hh_mm_24h_in_the_studios_zone(
    moment: datetime, zone: str, locale: str
) -> None:
    tz = ZoneInfo(zone)
    shown = lf.format_local(moment, tz, locale)
    assert shown == moment.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    # The forms pages get: ISO text and Meta's unix seconds say the same instant.
    iso = moment.isoformat().replace("+00:00", "Z")
    assert lf.format_local(iso, tz, locale)[:16] == shown
    assert lf.format_local(int(moment.timestamp()), tz, locale) == shown
    assert lf.format_clock(moment, tz, locale) == shown[-5:]


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from((None, *ZONES)),
    st.sampled_from(ZONES),
    st.sampled_from(LOCALES),
)
def test_an_instant_reads_as_babel_writes_it_whatever_its_seconds_or_zone(
    moment: datetime, given_in: str | None, zone: str, locale: str
) -> None:
    """format_local keeps one text per minute (lists and exports format thousands of cells):
    for any instant, naive (read as UTC, as Babel does) or in any zone, with any seconds, it
    says what Babel says for that very instant."""
    if given_in is not None:
        moment = moment.replace(tzinfo=ZoneInfo(given_in))
    tz = ZoneInfo(zone)
    babel = lf.format_datetime(moment, lf.INSTANT, tzinfo=tz, locale=lf.babel_locale(locale))
    assert lf.format_local(moment, tz, locale) == babel
    assert lf.format_local(moment.replace(second=59, microsecond=999_999), tz, locale) == (
        lf.format_datetime(
            moment.replace(second=59, microsecond=999_999),
            lf.INSTANT,
            tzinfo=tz,
            locale=lf.babel_locale(locale),
        )
    )


def test_unknown_instants_and_days_show_as_unknown() -> None:
    tz = ZoneInfo("America/Sao_Paulo")
    for value in (None, "", 10**15):
        assert format_local(value, tz) == "—"
    assert lf.format_day(None) == lf.format_day("") == "—"
    assert lf.format_number(None) == lf.format_rate(None) == lf.format_money(None) == "—"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_a_day_is_dd_mm_yyyy_in_both_locales(day: date) -> None:
    for locale in LOCALES:
        assert lf.format_day(day, locale) == day.strftime("%d/%m/%Y")
        assert lf.format_day(day.isoformat(), locale) == day.strftime("%d/%m/%Y")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_counts_take_the_locales_thousands_separator(n: int) -> None:
    pt, en = lf.format_number(n, "pt-BR"), lf.format_number(n, "en")
    assert en == f"{n:,}"
    assert pt == f"{n:,}".replace(",", ".")


@pytest.mark.parametrize(
    ("locale", "number", "rate", "money", "size"),
    [
        ("pt-BR", "1.234,6", "95,3%", "R$\xa01.234,50", "1,5 MB"),
        ("en", "1,234.6", "95.3%", "R$1,234.50", "1.5 MB"),
        # An unknown locale is formatted as pt-BR, as its words are.
        ("fr", "1.234,6", "95,3%", "R$\xa01.234,50", "1,5 MB"),
    ],
)
def test_numbers_rates_money_and_sizes_per_locale(
    locale: str, number: str, rate: str, money: str, size: str
) -> None:
    assert lf.format_number(1234.56, locale, 1) == number
    assert lf.format_rate(0.953, locale, 1) == rate
    assert lf.format_money(1234.5, locale) == money
    assert lf.format_megabytes(1572864, locale) == size


def test_how_long_ago_in_words() -> None:
    assert lf.format_ago(timedelta(minutes=5), "pt-BR") == "há 5 minutos"
    assert lf.format_ago(timedelta(minutes=5), "en") == "5 minutes ago"


@pytest.mark.parametrize(
    ("locale", "shape"), [("pt-BR", r"\d[\d.]*,\d MB"), ("en", r"\d[\d,]*\.\d MB")]
)
async def test_the_dashboard_shows_sizes_with_the_locales_decimal_mark(
    daemon_dir: Path, locale: str, shape: str
) -> None:
    extra = '[ui]\nlocale = "en"\n' if locale == "en" else ""
    async with running_daemon(daemon_dir, extra) as daemon, httpx.AsyncClient() as client:
        url = f"{daemon.listeners['operator'].url}/dashboard"
        page = (await client.get(url, headers={"Accept": "text/html"})).text
        size = re.search(r'id="db-size">([^<]*)<', page)
        assert size is not None, page[:300]
        assert re.fullmatch(shape, size.group(1)), size.group(1)
