"""One page from a sync job's source, read within bounds (docs/reference.md §8).

A page is ``{"items": [...], "next_cursor": "..."}``. What a source sends is bounded: the
page's size (``services.client.MAX_ANSWER_BYTES``), the cursor (``MAX_CURSOR_CHARS``: it is
stored, shown on /sync and sent back in the next URL, where 10 MB made every later run fail)
and each item's nesting (``rules/json_depth.MAX_DEPTH``). A page that breaks a page bound is
a named failure of the run; an item too deep or unreadable is set aside alone and the rest
of the page is written.

Decoders recurse even to skip a value, so a page nested deeper than ``PAGE_DEPTH`` cannot be
split into its items safely: that page fails the run, named.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from recado.rules.json_depth import MAX_DEPTH, depth_ok

MAX_CURSOR_CHARS = 1024
PAGE_DEPTH = 500


class PageError(ValueError):
    """The page as a whole cannot be used; the message says why, in English (the run's error)."""


@dataclass(frozen=True)
class PageItem:
    """One item: its value, or (``value`` None) why it cannot be read, with its raw text."""

    raw: bytes
    value: Any = None
    problem_pt: str = ""
    problem_en: str = ""


@dataclass(frozen=True)
class SourcePage:
    items: list[PageItem]
    next_cursor: str


class _Page(msgspec.Struct):
    items: list[msgspec.Raw]
    next_cursor: str | None = None


def read_page(body: bytes) -> SourcePage:
    if not depth_ok(body, PAGE_DEPTH):
        raise PageError(f"the page nests arrays or objects deeper than {PAGE_DEPTH} levels")
    try:
        page = msgspec.json.decode(body, type=_Page)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise PageError(f'the page is not {{"items": [...], "next_cursor": "..."}}: {exc}') from exc
    cursor = page.next_cursor or ""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise PageError(
            f"next_cursor is {len(cursor)} characters long (expected at most {MAX_CURSOR_CHARS})"
        )
    return SourcePage([read_item(bytes(raw)) for raw in page.items], cursor)


def read_item(raw: bytes) -> PageItem:
    """One item's raw JSON, read within ``MAX_DEPTH`` (a run's, an operator's retry)."""
    if not depth_ok(raw, MAX_DEPTH):
        return PageItem(
            raw,
            problem_pt=f"o item tem mais de {MAX_DEPTH} níveis de listas ou objetos",
            problem_en=f"the item nests arrays or objects deeper than {MAX_DEPTH} levels",
        )
    try:
        return PageItem(raw, msgspec.json.decode(raw))
    except (msgspec.DecodeError, RecursionError) as exc:
        # msgspec's ValidationError (a number beyond 64 bits or a float's range) is a
        # DecodeError too.
        return PageItem(
            raw,
            problem_pt=f"o item não pode ser lido ({exc})",
            problem_en=f"the item cannot be read ({exc})",
        )


# What can travel in an HTTP header as it is: printable ASCII, no spaces, bounded.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]{1,200}")


def item_key(item: Any) -> str:
    """The item's own id when it has one, else a hash of its content. An id that cannot
    travel in a header (not printable ASCII: "João", a newline; or over 200 characters) is
    hashed, or the item could never be posted at all."""
    if isinstance(item, dict) and isinstance(item.get("id"), str | int):
        own = str(item["id"])
        if _HEADER_SAFE.fullmatch(own):
            return own
        return "id-" + hashlib.sha256(own.encode("utf-8", "replace")).hexdigest()[:32]
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
