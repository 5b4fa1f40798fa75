"""What an event fans out to: the flow actions that apply to an event type (CONTRACT §7)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlannedAction:
    action: str  # as written in the config; with the event id it names the delivery
    service: str | None  # None for whatsapp:<template>
    delay_s: float = 0.0


FlowTable = dict[str, tuple[PlannedAction, ...]]


def idempotency_key(event_id: str, action: str) -> str:
    """The same key on every attempt of a delivery, so a destination can drop duplicates."""
    return f"{event_id}:{action}"


def actions_for(table: FlowTable, event_type: str) -> tuple[PlannedAction, ...]:
    """In config order, each action once (the first occurrence wins)."""
    seen: set[str] = set()
    out: list[PlannedAction] = []
    for planned in table.get(event_type, ()):
        if planned.action not in seen:
            seen.add(planned.action)
            out.append(planned)
    return tuple(out)
