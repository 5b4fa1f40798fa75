"""Internal events (CONTRACT §4.3: ``alert.*``, ``incident.*``): raised by the daemon
itself, never accepted from outside, and fanned out through ``[[flows]]`` exactly as the
studio's own events are — through the one event writer, with the hub's retries, breakers and
DLQ.

An internal event is stored only when a flow wants it: with no destination there is nothing
to deliver, and the alert or incident it tells of is its own record. Its id names what it
tells (``alert:12:opened``, ``incident:3:resolved``), so writing it again is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.rules.flows import FlowTable, actions_for
from recado.storage.events import NewEvent, insert_event


def emit_internal_event(
    conn: sqlite3.Connection,
    event_id: str,
    event_type: str,
    data: dict[str, Any],
    now: datetime,
    flows: FlowTable,
) -> bool:
    """Store the event and its deliveries (in the caller's transaction); True if new."""
    if not actions_for(flows, event_type):
        return False
    body = {"id": event_id, **data}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    event = NewEvent(
        id=event_id,
        type=event_type,
        occurred_at=now,
        data=body,
        body_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        source="internal",
    )
    return insert_event(conn, event, now, flows)
