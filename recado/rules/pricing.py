"""What a status's ``pricing`` says about a message (docs/whatsapp-notes.md §3): billable or
not, its category and type, read one strict way.

Since 2025-07-01 Meta prices each message (``pricing_model: "PMP"``) and puts ``pricing``
on its statuses; the ``conversation`` object is gone from v24.0 on (but for free entry
points), so neither is required. A field of the wrong type is left out, never guessed: a
``"billable": "false"`` string must not count as billable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Meta's categories are short words (marketing, utility, authentication, service, ...);
# anything longer is not one of them and is not kept.
_MAX_WORD = 40


@dataclass(frozen=True)
class Pricing:
    billable: bool | None
    category: str | None
    type: str | None
    model: str | None

    @property
    def empty(self) -> bool:
        return self.billable is None and not (self.category or self.type or self.model)


def read_pricing(pricing_json: str | None) -> Pricing | None:
    """The pricing of a status as stored (its JSON object), or None when it has none."""
    if not pricing_json:
        return None
    try:
        value: Any = json.loads(pricing_json)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    billable = value.get("billable")
    found = Pricing(
        billable if isinstance(billable, bool) else None,
        _word(value.get("category")),
        _word(value.get("type")),
        _word(value.get("pricing_model")),
    )
    return None if found.empty else found


def _word(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= _MAX_WORD and value.isprintable():
        return value
    return None
