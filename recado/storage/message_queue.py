"""Queueing a message: the one place a message row is inserted, whoever planned it (an
appointment event, a button tap, a flow action), with its id and its recipient derived by
the rules of ``rules/message_identity.py``. A message planned twice is queued once."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from recado.clock import iso
from recado.rules.message_identity import recipient


@dataclass(frozen=True)
class NewMessage:
    id: str  # rules.message_identity.message_id of what planned it
    kind: str  # a template name, or a free-form kind (rules/kinds.py)
    due_at: datetime
    # What is known of the client: its E.164 phone, or the WhatsApp id it wrote from.
    phone: str | None = None
    wa_id: str | None = None
    event_id: str | None = None
    appointment_id: str | None = None
    starts_at: str | None = None  # the appointment time it was planned for (stored text)
    text_body: str | None = None  # a free-form text, sent as it is
    params: dict[str, str] | None = None  # a flow action's template values
    inbound_wamid: str | None = None  # the tap it answers (one reply per tap)


def queue_message(conn: sqlite3.Connection, m: NewMessage, now: datetime) -> bool:
    """Queue ``m``; False when it was queued already."""
    to = recipient(phone=m.phone, wa_id=m.wa_id)
    cur = conn.execute(
        "INSERT OR IGNORE INTO messages(id, kind, appointment_id, starts_at, wa_id, to_number, "
        "state, created_at, updated_at, due_at, event_id, text_body, params_json, "
        "inbound_wamid) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
        (
            m.id,
            m.kind,
            m.appointment_id,
            m.starts_at,
            to.wa_id,
            to.to_number,
            iso(now),
            iso(now),
            iso(m.due_at),
            m.event_id,
            m.text_body,
            None if m.params is None else json.dumps(m.params, ensure_ascii=False, sort_keys=True),
            m.inbound_wamid,
        ),
    )
    return cur.rowcount > 0
