"""The cheap check a webhook body passes before its commit to the inbox: a JSON object with
``object == "whatsapp_business_account"`` and a non-empty ``entry`` list.

It decides only whether the body is a WhatsApp webhook at all: the 400 (kept in
``webhook_rejects``) or the 200. What is inside the entries is the parser's business after
the commit (``webhook_parse``): a malformed entry or change becomes a ``BadItem`` there, so
one broken entry never costs the body its good ones. Valid JSON that msgspec cannot decode
(an integer past 64 bits, ``1e400``, a lone surrogate) is decoded by the tolerant fallback
(``webhook_json``) and its bad values are set aside item by item. It returns a value for
every input and never raises on data.
"""

from __future__ import annotations

from dataclasses import dataclass

from recado.whatsapp.webhook_json import NotJson, decode


@dataclass(frozen=True)
class Envelope:
    fields: frozenset[str]


@dataclass(frozen=True)
class EnvelopeError:
    code: str  # invalid_json | wrong_object | missing_entry (| too_deep, by the route)
    detail: str


def check_envelope(raw: bytes) -> Envelope | EnvelopeError:
    try:
        body = decode(raw)
    except NotJson:
        return EnvelopeError("invalid_json", "the body is not JSON")
    if not isinstance(body, dict):
        return EnvelopeError("invalid_json", "the body is not a JSON object")
    if body.get("object") != "whatsapp_business_account":
        return EnvelopeError(
            "wrong_object", 'the body\'s "object" is not "whatsapp_business_account"'
        )
    entries = body.get("entry")
    if not isinstance(entries, list) or not entries:
        return EnvelopeError("missing_entry", 'the body has no "entry" list')
    fields: set[str] = set()
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else ():
            if isinstance(change, dict) and isinstance(change.get("field"), str):
                fields.add(change["field"])
    return Envelope(frozenset(fields))
