"""The cheap check a webhook body passes before its commit to the inbox: a JSON object with
``object == "whatsapp_business_account"`` and an ``entry`` list of objects with ``changes``.

It decides between the 400 (kept in ``webhook_rejects``) and the 200; nothing is parsed into
rows here. It returns a value for every input and never raises on data.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

_decoder = msgspec.json.Decoder()


@dataclass(frozen=True)
class Envelope:
    fields: frozenset[str]


@dataclass(frozen=True)
class EnvelopeError:
    code: str  # invalid_json | wrong_object | missing_entry | bad_entry
    detail: str


def check_envelope(raw: bytes) -> Envelope | EnvelopeError:
    try:
        body = _decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
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
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            return EnvelopeError("bad_entry", f'entry[{i}] has no "changes" list')
        for change in entry["changes"]:
            if isinstance(change, dict) and isinstance(change.get("field"), str):
                fields.add(change["field"])
    return Envelope(frozenset(fields))
