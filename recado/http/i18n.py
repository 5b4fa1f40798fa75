"""Operator-facing words in the studio's language and times in its zone, for every page.

The words themselves are tables in ``recado.http.texts``; this module only looks them up
(``rules.locale`` picks the language) and gives templates ``t`` and ``local_time``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from quart import Quart

from recado.clock import from_unix, parse_iso
from recado.http.texts import empty, en, errors, incidents, messages, pt_br, voucher
from recado.http.texts.message_types import MESSAGE_TYPES
from recado.rules.locale import in_locale
from recado.runtime.context import Daemon

TEXT: dict[str, dict[str, str]] = {
    "pt-BR": {
        **pt_br.TEXT,
        **incidents.TEXT_PT,
        **messages.TEXT_PT,
        **empty.TEXT_PT,
        **voucher.TEXT_PT,
    },
    "en": {**en.TEXT, **incidents.TEXT_EN, **messages.TEXT_EN, **empty.TEXT_EN, **voucher.TEXT_EN},
}


def translate(locale: str, key: str) -> str:
    return in_locale(TEXT, locale).get(key) or TEXT["en"].get(key) or key


def error_words(locale: str, status: int) -> tuple[str, str]:
    """The title and sentence of an error page for ``status``."""
    table = in_locale(errors.ERROR_TEXT, locale)
    return table.get(str(status), table["other"])


def message_type_word(locale: str, kind: str) -> str:
    """A WhatsApp message type (``button``) in words (``toque em botão``)."""
    words = in_locale(MESSAGE_TYPES, locale)
    return words.get(kind) or f"{words['other']} ({kind[:40]})"


def back_label(locale: str) -> str:
    return in_locale(errors.ERROR_TEXT, locale)["back"][0]


def voucher_missing_words(locale: str) -> tuple[str, str]:
    return in_locale(errors.VOUCHER_MISSING, locale)


def page_locale(daemon: Daemon) -> str:
    """The locale every page, reason and error page of this daemon is shown in."""
    return daemon.config.ui.locale


def studio_zone(daemon: Daemon) -> ZoneInfo:
    """The zone every time on a page is shown in."""
    return ZoneInfo(daemon.config.daemon.timezone)


def format_local(value: datetime | str | int | None, tz: ZoneInfo) -> str:
    """``dd/mm/aaaa HH:MM`` in the studio's zone, the one format pages use. Integers are
    Meta's unix-second timestamps."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        # A stored timestamp out of range (from before inputs were bounded) shows as unknown.
        ts = from_unix(value)
        if ts is None:
            return "—"
        dt = ts
    else:
        dt = parse_iso(value) if isinstance(value, str) else value
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def install_i18n(app: Quart, daemon: Daemon) -> None:
    @app.context_processor
    async def inject() -> dict[str, Any]:
        locale = page_locale(daemon)
        tz = studio_zone(daemon)
        return {
            "t": lambda key: translate(locale, key),
            "local_time": lambda value: format_local(value, tz),
            "message_type": lambda kind: message_type_word(locale, str(kind)),
            "locale": locale,
            "studio_name": daemon.config.studio.name,
        }
