"""Signed voucher links, so appointment ids in a public URL cannot be enumerated."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from recado.rules.constant_time import same_secret


def voucher_key(secret_key: bytes) -> bytes:
    # A key of its own, derived from the daemon's secret: a leaked voucher signature says
    # nothing about the key that encrypts tokens.
    return hmac.new(secret_key, b"recado voucher v1", hashlib.sha256).digest()


def voucher_sig(key: bytes, appointment_id: str) -> str:
    digest = hmac.new(key, appointment_id.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def voucher_ok(key: bytes, appointment_id: str, sig: str | None) -> bool:
    return same_secret(voucher_sig(key, appointment_id), sig)


def voucher_url(base_url: str, key: bytes, appointment_id: str) -> str:
    sig = voucher_sig(key, appointment_id)
    return f"{base_url.rstrip('/')}/voucher/{quote(appointment_id, safe='')}?sig={sig}"
