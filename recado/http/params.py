"""Query and path parameters, read one strict way: a bad one is a 422 naming the parameter
and what it expects, never a silent default, an OverflowError or a 500.

Integers are ASCII digits only (``"²".isdigit()`` and ``"١٢".isdigit()`` are true, and
``int("١٢")`` is 12) and fit SQLite's 64 bits; each parameter has its own bounds. Days and
times go through ``recado.rules.instants``, so they are inside the sane range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from quart import Quart, Response, request
from werkzeug.routing import BaseConverter, ValidationError

from recado.http.errors import json_error
from recado.rules.bounds import EARLIEST_DAY, LATEST_DAY, SQL_INT_MAX
from recado.rules.client_search import NameInputError, name_words
from recado.rules.instants import parse_day, parse_instant
from recado.rules.phone import DEFAULT_REGION, PhoneError, normalize_phone, wa_id_of


class BadParam(Exception):
    """``expected`` in English (the JSON's detail), ``expected_pt`` for a person's page."""

    def __init__(self, name: str, expected: str, expected_pt: str) -> None:
        self.name = name
        self.expected = expected
        self.expected_pt = expected_pt
        super().__init__(f"{name}: {expected}")


def parse_int(name: str, raw: str, minimum: int = 1, maximum: int = SQL_INT_MAX) -> int:
    expected = f"expected a whole number from {minimum} to {maximum}"
    expected_pt = f"esperado um número inteiro de {minimum} a {maximum}"
    # Longer than any 64-bit number: refused before int() spends time on it.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
        raise BadParam(name, expected, expected_pt)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise BadParam(name, expected, expected_pt)
    return value


def query_int(name: str, default: int, *, minimum: int = 1, maximum: int = SQL_INT_MAX) -> int:
    raw = request.args.get(name)
    return default if raw is None or raw == "" else parse_int(name, raw, minimum, maximum)


def query_optional_int(name: str, *, minimum: int = 1, maximum: int = SQL_INT_MAX) -> int | None:
    raw = request.args.get(name)
    return None if raw is None or raw == "" else parse_int(name, raw, minimum, maximum)


def query_day(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_day(raw)
    except ValueError as exc:
        raise BadParam(
            name,
            str(exc),
            f"esperado um dia no formato AAAA-MM-DD, de {EARLIEST_DAY} a {LATEST_DAY}",
        ) from None


def query_choice(name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        shown = ", ".join(choices)
        raise BadParam(name, f"expected one of {shown}", f"esperado um destes: {shown}")
    return raw


def ascii_digits(text: str, max_len: int) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= max_len


# Rows one page lists at most, whatever it is asked for.
LIMIT_MAX = 500
# E.164 numbers have at most 15 digits; WhatsApp ids are numbers.
WA_ID_MAX = 20


def query_limit(name: str, default: int) -> int:
    """How many rows a list page shows: ``default`` unless asked, 1 to ``LIMIT_MAX``."""
    return query_int(name, default, maximum=LIMIT_MAX)


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def query_page(name: str, per_page: int) -> Paging:
    """The page asked for (from 1) of ``per_page`` rows (a ``query_limit``); the offset they
    make fits SQLite's 64 bits too."""
    return Paging(query_int(name, 1, maximum=SQL_INT_MAX // per_page), per_page)


def query_time_cursor(name: str) -> str | None:
    """The ``next_before`` of a previous page of a list ordered by time: a stored instant
    then a row id, ASCII, bounded."""
    raw = request.args.get(name) or None
    if raw is not None:
        try:
            parse_instant(raw[:24])
            if not raw.isascii() or len(raw) > 224:
                raise ValueError(raw)
        except ValueError:
            raise BadParam(
                name,
                "expected the next_before value of a previous page",
                "esperado o valor next_before de uma página anterior",
            ) from None
    return raw


def query_flag(name: str) -> bool:
    return request.args.get(name) in ("1", "true", "yes")


def wa_id_or_none(text: str) -> str | None:
    """A client's number as WhatsApp ids write it (digits, no ``+``), or None when it is not
    one."""
    digits = text.lstrip("+")
    return digits if ascii_digits(digits, WA_ID_MAX) else None


# Longer than any phone written with spaces and punctuation: refused before parsing.
PHONE_INPUT_MAX = 40


def query_phone(name: str, region: str = DEFAULT_REGION) -> str | None:
    """The client's number as WhatsApp ids write it (digits), from what a person types: the
    national format of the studio's country ``region`` (``(11) 98765-4321``), E.164, or
    Meta's own digits (an account older than the 9th digit is no valid number any more)."""
    raw = (request.args.get(name) or "").strip()
    if not raw.lstrip("+"):
        return None
    if len(raw) > PHONE_INPUT_MAX:
        raise BadParam(
            name,
            f"expected a phone number, up to {PHONE_INPUT_MAX} characters",
            f"esperado um telefone, de até {PHONE_INPUT_MAX} caracteres",
        )
    try:
        return wa_id_of(normalize_phone(raw, region))
    except PhoneError as exc:
        wa_id = wa_id_or_none(raw)
        if wa_id is None:
            raise BadParam(name, exc.en, exc.pt_br) from None
        return wa_id


def query_name(name: str) -> list[str] | None:
    """The words of a client's name as a person types it (rules/client_search), None when
    the field is empty; too long, a control character or no letter at all is a 422."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return name_words(raw)
    except NameInputError as exc:
        raise BadParam(name, exc.en, exc.pt_br) from None


class RowIdConverter(BaseConverter):
    """``<rowid:name>``: a row id in a path. Anything else (non-ASCII digits, a number over
    SQLite's 64 bits) does not match the route, so it is the same 404 as any unknown page."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > SQL_INT_MAX:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def install_params(app: Quart) -> None:
    """Before any route: the converter must be known when a rule using it is added."""
    app.url_map.converters["rowid"] = RowIdConverter
    # Werkzeug answers ``/a//b`` (or ``/a/%2f%2fb``) with its own English 308 to ``/a/b``,
    # built from the request's Host; a path we do not serve is a 404 in our error shape.
    app.url_map.merge_slashes = False

    @app.errorhandler(BadParam)
    async def bad_param(exc: BadParam) -> Response:
        return json_error(
            422,
            "invalid_field",
            f"{exc.name}: {exc.expected}",
            pt=f"{exc.name}: {exc.expected_pt}",
            field=exc.name,
        )
