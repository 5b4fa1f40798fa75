"""Which language operator-facing text is shown in: pt-BR unless ``ui.locale = "en"``.

Every bilingual text (page words, reasons, alerts, error pages) goes through these two
functions, so an unknown or future locale falls back to pt-BR the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

DEFAULT_LOCALE = "pt-BR"


def pick(locale: str, pt_br: T, en: T) -> T:
    """The English text when the locale is ``en``, the pt-BR one otherwise."""
    return en if locale == "en" else pt_br


def in_locale(table: Mapping[str, T], locale: str) -> T:
    """``table[locale]``, or the pt-BR entry when the table has nothing for the locale."""
    found = table.get(locale)
    return found if found is not None else table[DEFAULT_LOCALE]
