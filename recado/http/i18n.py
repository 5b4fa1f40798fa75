"""Operator-facing words in the studio's language and times in its zone, for every page.

The words are gettext catalogs (``recado/locale``, read by ``recado.http.catalogs``); this
module looks them up by key (``rules.locale`` picks the language) and gives templates ``t``
and the Babel formats of ``recado.http.local_formats``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import Translations
from quart import Quart

from recado.http import local_formats as lf
from recado.http.catalogs import LANGUAGES, translations, words
from recado.http.local_formats import format_local as format_local
from recado.rules.locale import DEFAULT_LOCALE
from recado.runtime.context import Daemon

# Every key and its words, per locale (read from the catalogs when the daemon starts).
TEXT: Mapping[str, Mapping[str, str]] = {locale: words(locale) for locale in LANGUAGES}

# Keys built from a code (``error.404.title`` here, ``empty.<page>.nothing_yet`` in
# http/empty_states): the families of msgids the code asks for without naming each one
# (tests/test_i18n_catalogs.py counts them as used).
BUILT_KEYS = (
    "error.",
    "voucher_missing.",
    "mtype.",
    "detail.",
    "empty.",
)


def translate(locale: str, key: str) -> str:
    """The words of ``key`` in ``locale``; a key no catalog has shows as itself."""
    return _lookup(locale, key)


def _lookup(locale: str, key: str) -> str:
    # Keys built here from a code go through this name, not ``translate``: extraction takes
    # ``translate``'s literal keys and would warn about every f-string.
    return str(_catalog(locale).gettext(key))


def _catalog(locale: str) -> Translations:
    return translations(locale if locale in LANGUAGES else DEFAULT_LOCALE)


def _known(locale: str, key: str) -> str:
    """The words of ``key``, or "" when no catalog has it."""
    found = _lookup(locale, key)
    return "" if found == key else found


def error_words(locale: str, status: int) -> tuple[str, str]:
    """The title and sentence of an error page for ``status``."""
    code = str(status) if _known(locale, f"error.{status}.title") else "other"
    return _lookup(locale, f"error.{code}.title"), _lookup(locale, f"error.{code}.what")


def message_type_word(locale: str, kind: str) -> str:
    """A WhatsApp message type (``button``) in words (``toque em botão``)."""
    return _known(locale, f"mtype.{kind}") or (f"{_lookup(locale, 'mtype.other')} ({kind[:40]})")


def back_label(locale: str) -> str:
    return _lookup(locale, "error.back.title")


def voucher_missing_words(locale: str) -> tuple[str, str]:
    return _lookup(locale, "voucher_missing.title"), _lookup(locale, "voucher_missing.what")


def detail_words(locale: str, code: str) -> str:
    """What refusal ``code`` means for a person, or "" for a code without words."""
    return _known(locale, f"detail.{code}")


def page_locale(daemon: Daemon) -> str:
    """The locale every page, reason and error page of this daemon is shown in."""
    return daemon.config.ui.locale


def studio_zone(daemon: Daemon) -> ZoneInfo:
    """The zone every time on a page is shown in."""
    return ZoneInfo(daemon.config.daemon.timezone)


def install_i18n(app: Quart, daemon: Daemon) -> None:
    @app.context_processor
    async def inject() -> dict[str, Any]:
        locale = page_locale(daemon)
        tz = studio_zone(daemon)
        return {
            # A page asks for a hundred words or more: the catalog's own lookup, bound once.
            "t": _catalog(locale).gettext,
            "local_time": lambda value: lf.format_local(value, tz, locale),
            "local_day": lambda value: lf.format_day(value, locale),
            "number": lambda value, digits=0: lf.format_number(value, locale, digits),
            "percent": lambda ratio, digits=0: lf.format_rate(ratio, locale, digits),
            "money": lambda amount, currency="BRL": lf.format_money(amount, locale, currency),
            "megabytes": lambda size: lf.format_megabytes(size, locale),
            "message_type": lambda kind: message_type_word(locale, str(kind)),
            "locale": locale,
            "studio_name": daemon.config.studio.name,
        }
