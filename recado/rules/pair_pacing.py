"""Pacing per recipient for Meta's pair rate limit (docs/whatsapp-notes.md §7).

Meta allows about one message every 6 s from a business number to the same user, with short
bursts that borrow against the limit (131056 when exceeded). A token bucket per recipient
models it: a few messages go out at once (a booking notice and a button reply a moment
later), then one every 6 s. Times are trio seconds, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

REFILL_S = 6.0
BURST = 3


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: float


def take(
    bucket: Bucket | None, now: float, *, burst: int = BURST, refill_s: float = REFILL_S
) -> tuple[bool, Bucket, float]:
    """(allowed now, the bucket after, seconds until a token is free when not allowed)."""
    if bucket is None:
        bucket = Bucket(float(burst), now)
    tokens = min(float(burst), bucket.tokens + (now - bucket.at) / refill_s)
    if tokens >= 1.0:
        return True, Bucket(tokens - 1.0, now), 0.0
    return False, Bucket(tokens, now), (1.0 - tokens) * refill_s
