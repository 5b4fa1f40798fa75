"""The body around the changes: Meta's envelope, its encoding and its signature, and the
ids of the test business account."""

from __future__ import annotations

import itertools
import json
from typing import Any

from recado.whatsapp.signature import sign

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
BUSINESS_NUMBER = "5511900000000"

_ids = itertools.count(1)


def wamid(prefix: str = "IN") -> str:
    return f"wamid.{prefix}{next(_ids):010d}"


def metadata() -> dict[str, str]:
    return {"display_phone_number": BUSINESS_NUMBER, "phone_number_id": PHONE_NUMBER_ID}


def envelope(changes: list[dict[str, Any]], waba_id: str = WABA_ID) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": waba_id, "changes": changes}]}


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def signed(body: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    raw = encode(body)
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, raw)}
