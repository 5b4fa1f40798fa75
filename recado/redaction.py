"""Hiding secrets in text: the configured ones, the ones learnt at run time, and anything
token-shaped.

One matcher for every door a secret could leave by: log lines (``recado.logs``) and
the text peers send back (``recado.whatsapp.graph_client``, ``recado.services.client``),
which ends up in the database, on operator pages and in backups. It sits below storage and
the clients, so each of them redacts where peer text enters instead of every reader
remembering to. A peer that echoes a token back usually does it verbatim, JSON-escaped or
URL-encoded; each secret is matched in all those forms, in any letter case (a peer that
lowercases what it echoes). A piece of a secret is hidden too: any run of ``FRAGMENT``
characters found inside a configured secret (a token echoed split in two, ``abcd1234...``
and the rest), so what is left readable of a secret is always shorter than that.

Redaction is for text kept for people (errors, answers, reasons, pages, logs). The data
recado forwards (a sync page's items and cursor) is never altered: a source whose data holds
a secret gets it back intact, and pages show it redacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "MIN_SECRET_LEN",
    "REDACTED",
    "add_secret",
    "add_variant",
    "redact",
    "redact_bytes",
    "redact_json",
    "set_secrets",
]

REDACTED = "[redacted]"
# Shorter values are too likely to occur by chance (ids, numbers) and would shred text.
MIN_SECRET_LEN = 6
# A run of this many characters of a secret is hidden wherever it appears; below it, a
# fragment could be chance (a common word inside a passphrase).
FRAGMENT = 10
_BLOCK = 5
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_PATTERNS = [
    # The token's own alphabet (RFC 6750 b64token) stops the match before a closing quote or
    # an escape, so a quoted value stays well-formed after the substitution.
    (re.compile(r"(\bBearer\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE), rf"\1{REDACTED}"),
    # OAuth and webhook query values. "code" only counts after ? or &: as a bare key it is
    # our own error_code=/status_code= fields and Graph's JSON "code", which must stay.
    (
        re.compile(
            r"((?:(?<![\w.])(?:access_token|refresh_token|input_token|fb_exchange_token"
            r"|client_secret|hub\.verify_token)|(?<=[?&])code)=)"
            r"[^&\s\"'\\#]+"
        ),
        rf"\1{REDACTED}",
    ),
    # The same names as JSON keys (a token exchange answer printed while debugging), in raw
    # or already-escaped form.
    (
        re.compile(r'((?:access_token|client_secret)\\?"\s*:\s*\\?")[^"\\]+'),
        rf"\1{REDACTED}",
    ),
]
_BYTE_PATTERNS = [
    (re.compile(regex.pattern.encode(), regex.flags & re.IGNORECASE), repl.encode())
    for regex, repl in _PATTERNS
]


def _json_forms(secret: str) -> set[str]:
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    # Some encoders escape the solidus; base64 and URL-ish tokens are full of them.
    return forms | {f.replace("/", "\\/") for f in forms}


def _url_forms(secret: str) -> set[str]:
    return {quote(secret, safe=""), quote_plus(secret, safe="")}


class _Secrets:
    """The values to hide, as one compiled alternation (longest first, so a secret that
    contains another is hidden whole)."""

    def __init__(self) -> None:
        self.configured: frozenset[str] = frozenset()
        self.runtime: frozenset[str] = frozenset()
        self.variants: list[Callable[[str], str]] = []
        self.pattern: re.Pattern[str] | None = None
        self.byte_pattern: re.Pattern[bytes] | None = None
        # Every FRAGMENT-long piece of a secret and every _BLOCK-long piece of those, ASCII
        # lowercased (see _fragment_starts).
        self.fragments: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        self.byte_fragments: tuple[frozenset[bytes], frozenset[bytes]] = (
            frozenset(),
            frozenset(),
        )

    def rebuild(self) -> None:
        forms: set[str] = set()
        for secret in self.configured | self.runtime:
            forms |= {secret, *_json_forms(secret), *_url_forms(secret)}
            forms |= {variant(secret) for variant in self.variants}
        ordered = sorted(forms, key=len, reverse=True)
        encoded = sorted({f.encode("utf-8", "surrogatepass") for f in forms}, key=len, reverse=True)
        secrets = [_ascii_lower(v) for v in self.configured | self.runtime]
        grams = {v[i : i + FRAGMENT] for v in secrets for i in range(len(v) - FRAGMENT + 1)}
        blocks = {g[i : i + _BLOCK] for g in grams for i in range(FRAGMENT - _BLOCK + 1)}
        flags = re.IGNORECASE
        # Assigned in one step each: a thread redacting meanwhile sees an old or a new one.
        self.pattern = re.compile("|".join(map(re.escape, ordered)), flags) if ordered else None
        self.byte_pattern = (
            re.compile(b"|".join(map(re.escape, encoded)), flags) if encoded else None
        )
        self.fragments = (frozenset(grams), frozenset(blocks))
        self.byte_fragments = (
            frozenset(g.encode("utf-8", "surrogatepass") for g in grams),
            frozenset(b.encode("utf-8", "surrogatepass") for b in blocks),
        )


_secrets = _Secrets()


def _clean(values: Iterable[str]) -> frozenset[str]:
    stripped = (v.strip() for v in values if isinstance(v, str))
    return frozenset(v for v in stripped if len(v) >= MIN_SECRET_LEN)


def set_secrets(secrets: Iterable[str]) -> None:
    """Replace the configured secrets (start, config reload); values added with
    :func:`add_secret` are kept."""
    _secrets.configured = _clean(secrets)
    _secrets.rebuild()


def add_secret(secret: str) -> None:
    """Hide a secret learnt at run time (a token from Embedded Signup, decrypted from the
    database) until the process exits; config reloads do not forget it."""
    new = _clean([secret])
    if not new <= _secrets.runtime:
        _secrets.runtime |= new
        _secrets.rebuild()


def add_variant(form: Callable[[str], str]) -> None:
    """Also match each secret as ``form`` writes it (the log line's own quoting)."""
    _secrets.variants.append(form)
    _secrets.rebuild()


def _ascii_lower(text: str) -> str:
    # Length-preserving (str.lower turns "İ" into two characters): positions stay valid.
    return text.translate(_LOWER)


def _fragment_starts(low: Any, grams: frozenset[Any], blocks: frozenset[Any]) -> list[int]:
    """Where a FRAGMENT-long piece of a secret starts in ``low``. A piece that long holds a
    whole _BLOCK-long block at a position that is a multiple of _BLOCK: only those blocks are
    looked up, and only around a hit are the pieces themselves, so a line costs about
    len / _BLOCK set lookups."""
    starts: list[int] = []
    last = len(low) - FRAGMENT
    for p in range(0, len(low) - _BLOCK + 1, _BLOCK):
        if low[p : p + _BLOCK] in blocks:
            starts.extend(
                s
                for s in range(max(0, p - FRAGMENT + _BLOCK), min(p, last) + 1)
                if low[s : s + FRAGMENT] in grams
            )
    return sorted(set(starts))


def _spans(starts: list[int]) -> list[tuple[int, int]]:
    """The runs covered by pieces starting at ``starts`` (sorted), merged."""
    spans: list[tuple[int, int]] = []
    for start in starts:
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], start + FRAGMENT)
        else:
            spans.append((start, start + FRAGMENT))
    return spans


def _hide_fragments(text: str) -> str:
    grams, blocks = _secrets.fragments
    if not grams or len(text) < FRAGMENT:
        return text
    spans = _spans(_fragment_starts(_ascii_lower(text), grams, blocks))
    for start, end in reversed(spans):
        text = text[:start] + REDACTED + text[end:]
    return text


def _hide_byte_fragments(data: bytes) -> bytes:
    grams, blocks = _secrets.byte_fragments
    if not grams or len(data) < FRAGMENT:
        return data
    spans = _spans(_fragment_starts(data.lower(), grams, blocks))
    for start, end in reversed(spans):
        data = data[:start] + REDACTED.encode() + data[end:]
    return data


def redact(text: str) -> str:
    """``text`` with every configured secret (any case, or a piece of one) and every
    token-shaped value hidden."""
    pattern = _secrets.pattern
    if pattern is not None:
        text = _hide_fragments(pattern.sub(REDACTED, text))
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text


def redact_bytes(data: bytes) -> bytes:
    """:func:`redact` for a body that may not even be text: matched as UTF-8 bytes, so an
    undecodable byte next to a secret does not hide it from the matcher."""
    pattern = _secrets.byte_pattern
    if pattern is not None:
        data = _hide_byte_fragments(pattern.sub(REDACTED.encode(), data))
    for regex, replacement in _BYTE_PATTERNS:
        data = regex.sub(replacement, data)
    return data


def redact_json(value: Any) -> Any:
    """A copy of a decoded JSON value with every string (keys included) redacted.

    Iterative, not recursive: a peer's answer nested as deep as the JSON decoder allows
    must not cost a RecursionError here.
    """
    if not isinstance(value, dict | list):
        return redact(value) if isinstance(value, str) else value
    # (container read from the peer, its redacted copy still to be filled)
    stack: list[tuple[Any, list[Any] | dict[str, Any]]] = []

    def copy(item: Any) -> Any:
        if isinstance(item, dict):
            out_map: dict[str, Any] = {}
            stack.append((item, out_map))
            return out_map
        if isinstance(item, list):
            out_list: list[Any] = []
            stack.append((item, out_list))
            return out_list
        return redact(item) if isinstance(item, str) else item

    result = copy(value)
    while stack:
        source, dest = stack.pop()
        if isinstance(dest, dict):
            for key, item in source.items():
                dest[redact(key) if isinstance(key, str) else key] = copy(item)
        else:
            dest.extend(copy(item) for item in source)
    return result
