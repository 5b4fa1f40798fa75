"""How deeply raw JSON nests, found without decoding it.

Decoders recurse: msgspec raises RecursionError near 1,000 levels, ``json.dumps`` and
``json.loads`` near the interpreter's limit, and a RecursionError is no ValueError, so it
escapes every ``except`` written for bad JSON. Outside JSON is measured here first and
refused when too deep. No real body needs it: Meta's webhooks nest about 10 levels and our
events about 4.

The scan works on bytes with C-speed primitives (a regex drops strings, ``translate`` keeps
brackets, ``accumulate`` counts), in bounded chunks so a deep body stops the scan early. It
only counts: malformed JSON is the decoder's business, and over-counting brackets in a
malformed string can only refuse a body the decoder would refuse anyway.
"""

from __future__ import annotations

import operator
import re
from itertools import accumulate, count

# The JSON limit for everything that arrives from outside.
MAX_DEPTH = 64

# A JSON string, escapes included (the unrolled form never backtracks).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
# An opener becomes 2 and a closer 0, so a running sum minus the running count is the depth.
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_CHUNK = 65_536


def nesting_depth(raw: bytes, stop_above: int | None = None) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (0 for a scalar). With
    ``stop_above``, the scan may stop as soon as the depth is known to exceed it."""
    steps = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS).translate(_STEPS)
    deepest = depth = 0
    for start in range(0, len(steps), _CHUNK):
        chunk = steps[start : start + _CHUNK]
        levels = list(map(operator.sub, accumulate(chunk, initial=depth), count(0)))[1:]
        deepest = max(deepest, max(levels))
        depth = levels[-1]
        if stop_above is not None and deepest > stop_above:
            break
    return deepest


def depth_ok(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    # Nothing can nest deeper than its count of openers: most bodies end here.
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return True
    return nesting_depth(raw, stop_above=limit) <= limit


def too_deep_detail(limit: int = MAX_DEPTH) -> str:
    return f"the body nests arrays or objects deeper than {limit} levels"
