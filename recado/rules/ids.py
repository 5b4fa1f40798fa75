"""Identifiers other systems give us that end up in addresses: an event's ``id`` (``/events/
<id>``), an appointment's (``/appointments/<id>``, the voucher link sent to the client), a
free-form event's ``data.id``.

Such an id is bounded (a 100,000-character id made 100 KB log lines) and limited to a set
that needs no escaping in a URL path and survives every browser and proxy unchanged
(``a/b?c#d`` made the voucher link 404 and the appointment page unreachable): letters and
digits of ASCII and ``. _ ~ : @ -`` (RFC 3986 path characters without the sub-delimiters),
not made of dots alone (``.`` and ``..`` are removed from paths by browsers).
"""

from __future__ import annotations

import re

ID_MAX = 200
ID_CHARS = "letters, digits and . _ ~ : @ -"
_SAFE = re.compile(r"[A-Za-z0-9._~:@-]+")


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id, in the 422's words (never echoing the value), or None."""
    if not value.strip():
        return "must not be empty"
    if len(value) > ID_MAX:
        return f"expected at most {ID_MAX} characters (got {len(value)})"
    if _SAFE.fullmatch(value) is None:
        return f"expected only {ID_CHARS} (it is part of page and voucher addresses)"
    if value.strip(".") == "":
        return "must not be made of dots alone (it is part of page and voucher addresses)"
    return None
