"""The operator words are gettext catalogs kept with Babel (issue 15, item 8): every key the
code and templates use has words in pt-BR and in English, no entry is left over, both say the
same placeholders, and the catalogs ship with the package."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

import recado
from recado.http import i18n
from recado.http.catalogs import LANGUAGES, read_catalog
from recado.testing import i18n_catalogs as ic

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def usage() -> ic.Usage:
    return ic.used(ROOT)


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return ic.catalogs()


def test_extraction_finds_the_keys_templates_and_code_ask_for(usage: ic.Usage) -> None:
    # A literal key from a template, one from a nested block, and a family built from a value.
    assert "nav.dashboard" in usage.keys or "dashboard" in usage.keys
    assert "inc.severity" in usage.keys
    assert "mstate." in usage.families
    assert "error." in usage.families
    assert len(usage.keys) > 200


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_every_key_used_has_words_in_both_catalogs(
    usage: ic.Usage, catalogs: dict[str, Catalog], locale: str
) -> None:
    words = ic.entries(catalogs[locale])
    missing = [f"{k} ({w[0]})" for k, w in sorted(usage.keys.items()) if not words.get(k)]
    assert missing == []
    empty_families = [
        p for p in usage.families if not any(k.startswith(p) and v for k, v in words.items())
    ]
    assert empty_families == []


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_no_catalog_entry_is_orphaned(
    usage: ic.Usage, catalogs: dict[str, Catalog], locale: str
) -> None:
    orphans = [k for k in ic.entries(catalogs[locale]) if not usage.uses(k)]
    assert orphans == []


def test_both_languages_have_the_same_keys_all_translated(catalogs: dict[str, Catalog]) -> None:
    pt, en = ic.entries(catalogs["pt-BR"]), ic.entries(catalogs["en"])
    assert sorted(set(pt) ^ set(en)) == []
    assert [k for k, v in pt.items() if not v] == []
    assert [k for k, v in en.items() if not v] == []
    # English is a catalog of its own, not the keys shown back.
    assert [k for k, v in en.items() if v == k and "." in k] == []


def test_placeholders_match_between_languages(catalogs: dict[str, Catalog]) -> None:
    pt, en = ic.entries(catalogs["pt-BR"]), ic.entries(catalogs["en"])
    differ = [k for k in pt if ic.placeholders(pt[k]) != ic.placeholders(en[k])]
    assert differ == []
    assert ic.placeholders(pt["diag.minutes_ago"]) == {"n"}


def test_the_check_command_agrees(usage: ic.Usage, catalogs: dict[str, Catalog]) -> None:
    assert ic.problems(usage, catalogs) == []


def test_the_check_names_each_kind_of_fault(usage: ic.Usage) -> None:
    broken = {locale: read_catalog(locale) for locale in LANGUAGES}
    used_key = next(iter(sorted(usage.keys)))
    del broken["en"][used_key]
    broken["pt-BR"].add("nothing.uses.this", "sobra")
    broken["en"].add("nothing.uses.this", "left over")
    broken["en"]["diag.minutes_ago"].string = "{count} min ago"
    found = "\n".join(ic.problems(usage, broken))
    assert f"en: no words for {used_key}" in found
    assert "pt_BR: nothing.uses.this is in the catalog but nothing uses it" in found
    assert "diag.minutes_ago: placeholders differ" in found


def test_lookups_keep_their_api_over_the_catalogs() -> None:
    assert i18n.translate("pt-BR", "status.healthy") == "Saudável"
    assert i18n.translate("en", "status.healthy") == "Healthy"
    # An unknown locale reads pt-BR; an unknown key shows as itself (templates test for it).
    assert i18n.translate("fr", "status.healthy") == "Saudável"
    assert i18n.translate("en", "pricing.nope") == "pricing.nope"
    assert i18n.error_words("pt-BR", 404)[0] == "Página não encontrada"
    assert i18n.error_words("en", 418) == i18n.error_words("en", 599)
    assert i18n.message_type_word("pt-BR", "button") == "toque em botão"
    assert i18n.message_type_word("en", "hologram") == "other type (hologram)"
    assert i18n.back_label("en") == "Back to the dashboard"
    assert i18n.voucher_missing_words("pt-BR")[0] == "Comprovante não encontrado"
    assert i18n.detail_words("pt-BR", "not_found").startswith("não existe registro")
    assert i18n.detail_words("pt-BR", "no_such_code") == ""


def test_the_catalogs_ship_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["recado"]
    package = Path(recado.__file__).parent
    shipped = sorted(package.glob("locale/*/LC_MESSAGES/*.po"))
    assert len(shipped) == len(LANGUAGES)
    for path in shipped:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch(relative, p) for p in patterns), relative
    assert "babel" in " ".join(config["project"]["dependencies"]).lower()
