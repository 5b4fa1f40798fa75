"""Times, days, numbers and money as an operator reads them, made by Babel for the page's
locale and, for instants, in the studio's zone.

Instants keep the one format the pages have always had, ``dd/mm/aaaa HH:MM`` (24 h) in both
locales, through an explicit Babel pattern; numbers follow the locale (``1.234,5`` in pt-BR,
``1,234.5`` in English) and money is ``R$`` unless told otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent

from recado.clock import from_unix, parse_iso
from recado.rules.locale import in_locale

INSTANT = "dd/MM/yyyy HH:mm"
DAY = "dd/MM/yyyy"
CLOCK = "HH:mm"
UNKNOWN = "—"
_BABEL_LOCALES = {"pt-BR": "pt_BR", "en": "en"}

Number = int | float | Decimal


@cache
def babel_locale(locale: str) -> Locale:
    """Babel's locale for a page locale; an unknown one is pt-BR, like the words."""
    return Locale.parse(in_locale(_BABEL_LOCALES, locale))


def format_local(value: datetime | str | int | None, tz: ZoneInfo, locale: str = "pt-BR") -> str:
    """``dd/mm/aaaa HH:MM`` in the studio's zone, the one format pages use. Integers are
    Meta's unix-second timestamps."""
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, int):
        # A stored timestamp out of range (from before inputs were bounded) shows as unknown.
        ts = from_unix(value)
        if ts is None:
            return UNKNOWN
        dt = ts
    else:
        dt = parse_iso(value) if isinstance(value, str) else value
    # Babel reads a naive instant as UTC; so does this.
    utc = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return _instant(utc.replace(second=0, microsecond=0), tz, locale)


@lru_cache(maxsize=4096)
def _instant(minute: datetime, tz: ZoneInfo, locale: str) -> str:
    # The pattern stops at the minute and every zone's offset since 1972 is whole minutes, so
    # one UTC minute is one text: a list or an export of thousands of rows asks Babel once per
    # minute they hold, not once per cell (a 10,000-row export spent a second in Babel).
    return format_datetime(minute, INSTANT, tzinfo=tz, locale=babel_locale(locale))


def format_clock(value: datetime, tz: ZoneInfo, locale: str = "pt-BR") -> str:
    """The time of day of an instant in the studio's zone, ``HH:MM`` (24 h)."""
    return format_datetime(value, CLOCK, tzinfo=tz, locale=babel_locale(locale))


def format_day(value: date | str | None, locale: str = "pt-BR") -> str:
    """A calendar day (``2026-03-14`` or a date) as ``dd/mm/aaaa``."""
    if value is None or value == "":
        return UNKNOWN
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return format_date(day, DAY, locale=babel_locale(locale))


def format_ago(delta: timedelta, locale: str = "pt-BR") -> str:
    """How long ago, in words (``há 5 minutos`` / ``5 minutes ago``)."""
    return format_timedelta(
        -abs(delta), add_direction=True, threshold=1.0, locale=babel_locale(locale)
    )


def format_number(value: Number | None, locale: str = "pt-BR", digits: int = 0) -> str:
    """A count or a measure with the locale's separators and exactly ``digits`` decimals."""
    if value is None:
        return UNKNOWN
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=babel_locale(locale))


def format_rate(ratio: Number | None, locale: str = "pt-BR", digits: int = 0) -> str:
    """A ratio (0.953) as a percentage (``95,3%``); unknown when there is nothing to divide."""
    if ratio is None:
        return UNKNOWN
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(ratio, format=pattern, locale=babel_locale(locale))


def format_money(amount: Number | None, locale: str = "pt-BR", currency: str = "BRL") -> str:
    """An amount of money (``R$ 1.234,50`` / ``R$1,234.50``)."""
    if amount is None:
        return UNKNOWN
    return format_currency(amount, currency, locale=babel_locale(locale))


def format_megabytes(size: Number | None, locale: str = "pt-BR") -> str:
    """A size in bytes as megabytes with one decimal (``12,5 MB``)."""
    if size is None:
        return UNKNOWN
    return f"{format_number(size / 1048576, locale, 1)} MB"
