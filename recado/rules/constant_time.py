"""Comparing secrets in constant time, whatever text the other side sent.

``hmac.compare_digest`` raises TypeError on a ``str`` with non-ASCII characters, and
``str.encode()`` raises on a lone surrogate: both are a request's content, so both must be
a plain "does not match", never an exception.
"""

from __future__ import annotations

import hmac


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def same_secret(expected: str, given: str | None) -> bool:
    """An empty expected secret never matches: no secret configured, nothing accepted."""
    if not expected or not given:
        return False
    return hmac.compare_digest(_bytes(expected), _bytes(given))
