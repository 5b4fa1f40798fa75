"""Planning the contingency reply from a client's inbound message, in that message's own
transaction (as button replies are planned), keyed by (incident, customer) so that a client
gets it once per incident however many times they write (rules/contingency.py)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from recado.clock import from_unix, iso
from recado.rules.contingency import should_reply
from recado.rules.kinds import CONTINGENCY_REPLY
from recado.rules.message_identity import message_id
from recado.storage.message_queue import NewMessage, queue_message
from recado.whatsapp.webhook_parse import InboundMessage


def plan_contingency_reply(
    conn: sqlite3.Connection, m: InboundMessage, text: str, mode: str, now: datetime
) -> bool:
    """Queue the reply if an incident has it on and this client has not had it; True if
    one was planned."""
    if not text:
        return False
    row = conn.execute(
        "SELECT id FROM incidents WHERE contingency_on = 1 AND state != 'resolved' "
        "ORDER BY id LIMIT 1"
    ).fetchone()
    if row is None or not should_reply(mode, from_unix(m.timestamp), now):
        return False
    incident_id = int(row["id"])
    # The customer the message was applied to (a client known by a BSUID alone has no
    # number): one reply per person, whatever ids they write from.
    customer = conn.execute(
        "SELECT customer_id FROM inbound_messages WHERE wamid = ?", (m.wamid,)
    ).fetchone()["customer_id"]
    taken = conn.execute(
        "SELECT 1 FROM contingency_replies WHERE incident_id = ? AND customer_id = ?",
        (incident_id, customer),
    ).fetchone()
    if taken:
        return False
    job_id = message_id(CONTINGENCY_REPLY, str(incident_id), str(customer))
    queue_message(
        conn,
        NewMessage(
            id=job_id, kind=CONTINGENCY_REPLY, due_at=now, customer_id=customer, text_body=text
        ),
        now,
    )
    conn.execute(
        "INSERT INTO contingency_replies(incident_id, customer_id, wa_id, message_id, "
        "inbound_wamid, planned_at) VALUES (?, ?, ?, ?, ?, ?)",
        (incident_id, customer, m.wa_id, job_id, m.wamid, iso(now)),
    )
    return True
