"""The gettext catalogs of operator words (``recado/locale/<lang>/LC_MESSAGES/recado.po``),
read once when the daemon starts.

The ``.po`` files are read as they are (``babel.messages.pofile``) and turned into gettext
translations in memory, so an editable install, a wheel and a source tree all run from the
same files and no compiled ``.mo`` can go stale beside them. The msgids are keys
(``nav.dashboard``), not English: each language has a complete catalog of its own
(``tests/test_i18n_catalogs.py``), kept with ``./scripts/i18n``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from recado.rules.locale import DEFAULT_LOCALE

DOMAIN = "recado"
# The page locale (config ``ui.locale``) to the catalog's language directory.
LANGUAGES: dict[str, str] = {"pt-BR": "pt_BR", "en": "en"}


def read_catalog(locale: str) -> Catalog:
    """The catalog of ``locale`` as Babel reads it (fuzzy entries included, flagged)."""
    path = files("recado") / "locale" / LANGUAGES[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        return read_po(f, locale=LANGUAGES[locale], domain=DOMAIN)


@cache
def translations(locale: str) -> Translations:
    """The gettext translations of ``locale``. As the tables did, a key missing in pt-BR is
    looked up in English before it shows as itself."""
    buffer = io.BytesIO()
    # Fuzzy entries are not translations yet: gettext answers them with the key.
    write_mo(buffer, read_catalog(locale), use_fuzzy=False)
    buffer.seek(0)
    found = Translations(buffer, domain=DOMAIN)
    if locale == DEFAULT_LOCALE:
        found.add_fallback(translations("en"))
    return found


@cache
def words(locale: str) -> Mapping[str, str]:
    """Every translated key of ``locale`` and its words (for checks that list keys)."""
    return {
        str(m.id): str(m.string) for m in read_catalog(locale) if m.id and m.string and not m.fuzzy
    }
