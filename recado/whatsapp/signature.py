"""``X-Hub-Signature-256`` and the verify token (docs/whatsapp-notes.md §1), in constant time."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re

from recado.rules.constant_time import same_secret

_HEX64 = re.compile(r"[0-9a-f]{64}")


class SignatureCheck(enum.Enum):
    ok = "ok"
    missing = "missing"
    malformed = "malformed"
    mismatch = "mismatch"


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta would send for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(app_secret: str, body: bytes, header: str | None) -> SignatureCheck:
    """Check the header over the raw bytes. Meta sends lowercase hex; uppercase is accepted
    too (it is the same digest), anything else is malformed."""
    if not header:
        return SignatureCheck.missing
    scheme, _, given = header.strip().partition("=")
    given = given.lower()
    if scheme != "sha256" or not _HEX64.fullmatch(given):
        return SignatureCheck.malformed
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    if hmac.compare_digest(expected, given):
        return SignatureCheck.ok
    return SignatureCheck.mismatch


def verify_token_matches(expected: str, given: str | None) -> bool:
    """An empty configured token never matches: no token, no subscription."""
    return same_secret(expected, given)
