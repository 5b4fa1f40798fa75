"""Which catalog keys the code asks for, and what is wrong with the catalogs
(``./scripts/i18n`` and ``tests/test_i18n_catalogs.py`` share these checks).

A key is used when a template calls ``t("key")`` / ``_("key")`` or Python calls
``translate(locale, "key")`` (Babel's extractors, mapped by ``babel.cfg``), and every key of
a family the code builds from a value is used too: ``t("mstate." ~ m.state)`` in a template,
``translate(locale, f"mstate.{state}")`` in Python, and ``http.i18n.BUILT_KEYS``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

from recado.http.catalogs import LANGUAGES, read_catalog
from recado.http.i18n import BUILT_KEYS

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "recado" / "locale" / "recado.pot"
# Per extractor: the functions whose first (or named) argument is a key.
KEYWORDS: dict[str, dict[str, tuple[int, ...] | None]] = {
    "jinja2": {"t": None, "_": None},
    # ``t`` in Python: a page's own lookup bound to its locale (http/csv_exports).
    "python": {"translate": (2,), "t": None},
}
_TEMPLATE_FAMILY = re.compile(r"""\b(?:t|_)\(\s*(["'])([\w.]+\.)\1\s*~""")
_PYTHON_FAMILY = re.compile(r"""\b(?:translate\([^,()]+,|t\()\s*f(["'])([\w.]+\.)\{""")
_PLACEHOLDER = re.compile(r"\{(\w*)\}|%\((\w+)\)[sd]")


@dataclass(frozen=True)
class Usage:
    keys: dict[str, list[str]]  # key -> where (path:line)
    families: dict[str, list[str]]  # key prefix -> where

    def uses(self, msgid: str) -> bool:
        return msgid in self.keys or any(msgid.startswith(p) for p in self.families)


def used(root: Path = ROOT) -> Usage:
    with (root / "babel.cfg").open(encoding="utf-8") as f:
        # Babel's own parser of babel.cfg (the one pybabel uses) has no annotations.
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]
    keys: dict[str, list[str]] = {}
    for method, keywords in KEYWORDS.items():
        mapping = [(pattern, m) for pattern, m in method_map if m == method]
        found = extract_from_dir(str(root), mapping, options_map, keywords=keywords)
        for source, line, msgid, _comments, _context in found:
            if isinstance(msgid, str):
                keys.setdefault(msgid, []).append(f"{source}:{line}")
    families: dict[str, list[str]] = {p: ["recado/http/i18n.py"] for p in BUILT_KEYS}
    sources = [
        (_TEMPLATE_FAMILY, (root / "recado" / "http" / "templates").rglob("*.html")),
        (_PYTHON_FAMILY, (root / "recado").rglob("*.py")),
    ]
    for pattern, paths in sources:
        for path in paths:
            text = path.read_text(encoding="utf-8")
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                where = f"{path.relative_to(root)}:{line}"
                families.setdefault(match.group(2), []).append(where)
    return Usage(keys=keys, families=families)


def catalogs() -> dict[str, Catalog]:
    return {locale: read_catalog(locale) for locale in LANGUAGES}


def entries(catalog: Catalog) -> dict[str, str]:
    """Every msgid and its words; fuzzy and untranslated entries have ""."""
    return {str(m.id): "" if m.fuzzy else str(m.string) for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def problems(usage: Usage, found: Mapping[str, Catalog]) -> list[str]:
    """Every reason the catalogs are not fit to ship, one line each."""
    out: list[str] = []
    words = {locale: entries(catalog) for locale, catalog in found.items()}
    for locale, table in words.items():
        lang = LANGUAGES[locale]
        out += [
            f"{lang}: no words for {k} (used at {w[0]})"
            for k, w in sorted(usage.keys.items())
            if not table.get(k)
        ]
        out += [
            f"{lang}: no words for family {p}* (used at {w[0]})"
            for p, w in sorted(usage.families.items())
            if not any(k.startswith(p) and v for k, v in table.items())
        ]
        out += [
            f"{lang}: {k} is in the catalog but nothing uses it"
            for k in sorted(table)
            if not usage.uses(k)
        ]
        out += [f"{lang}: {k} has no words" for k, v in sorted(table.items()) if not v]
        for message in found[locale]:
            out += [f"{lang}: {message.id}: {error}" for error in message.check(found[locale])]
    pt, en = words["pt-BR"], words["en"]
    out += [f"en: {k} is missing (pt_BR has it)" for k in sorted(set(pt) - set(en))]
    out += [f"pt_BR: {k} is missing (en has it)" for k in sorted(set(en) - set(pt))]
    out += [
        f"{k}: placeholders differ: pt_BR {sorted(placeholders(pt[k]))}, "
        f"en {sorted(placeholders(en[k]))}"
        for k in sorted(set(pt) & set(en))
        if placeholders(pt[k]) != placeholders(en[k])
    ]
    return out


def template(usage: Usage, found: Mapping[str, Catalog]) -> Catalog:
    """recado.pot: the keys the code names, and the catalogs' keys of the families it builds
    (so an update never drops ``mstate.sent`` for want of a literal ``t("mstate.sent")``)."""
    pot = Catalog(domain="recado", project="recado", charset="utf-8", fuzzy=False)
    for key, where in sorted(usage.keys.items()):
        pot.add(key, locations=[_location(w) for w in where])
    built = {str(m.id) for c in found.values() for m in c if m.id and usage.uses(str(m.id))}
    for key in sorted(built - set(usage.keys)):
        pot.add(key, auto_comments=["built from a value: " + _family(usage, key)])
    return pot


def _location(where: str) -> tuple[str, int]:
    path, line = where.rsplit(":", 1)
    return path, int(line)


def _family(usage: Usage, key: str) -> str:
    prefix = max((p for p in usage.families if key.startswith(p)), key=len)
    return f"{prefix}* at {', '.join(usage.families[prefix][:3])}"


def write(path: Path, catalog: Catalog, *, template_file: bool = False) -> None:
    if not template_file:
        # Where a key is used belongs in recado.pot: in the .po it would change with every
        # edit of a template and make merges conflict.
        for message in catalog:
            message.auto_comments = []
            message.locations = []
    with path.open("wb") as f:
        write_po(
            f,
            catalog,
            width=100,
            no_location=not template_file,
            sort_output=True,
            ignore_obsolete=True,
        )
    # Babel stamps its own version: left out, so the files do not change with the Babel installed.
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'"Generated-By: Babel [^"]*"\n', "", text), encoding="utf-8")


def main(argv: Iterable[str]) -> int:
    command = next(iter(argv), "check")
    usage, found = used(), catalogs()
    if command == "extract":
        write(POT, template(usage, found), template_file=True)
        print(f"wrote {POT.relative_to(ROOT)}")
        return 0
    if command == "update":
        pot = template(usage, found)
        for locale, catalog in found.items():
            created = catalog.creation_date
            catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False)
            catalog.creation_date = created
            path = ROOT / "recado" / "locale" / LANGUAGES[locale] / "LC_MESSAGES" / "recado.po"
            gone = sorted(str(m.id) for m in catalog.obsolete.values())
            write(path, catalog)
            print(f"updated {path.relative_to(ROOT)}; dropped as unused: {gone or 'none'}")
        return 0
    if command == "check":
        found_problems = problems(usage, found)
        print("\n".join(found_problems) or f"catalogs complete: {len(entries(found['en']))} keys")
        return 1 if found_problems else 0
    print(f"unknown command {command!r}: extract, update or check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
