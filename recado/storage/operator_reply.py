"""An operator answering a client, free-form, from the conversation page or
``recado conversations reply``: queued as an ``operator_reply`` message through the same
sender as every other (which re-checks the window and everything else at the send), and
audited in the same transaction.

The request names its own id (``request_id``): the message id derives from it and the
customer, so a repeated request (a double click, a retried CLI call) queues nothing new.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from recado.rules.kinds import OPERATOR_REPLY
from recado.rules.message_identity import message_id
from recado.rules.window import window_state
from recado.storage.audit import record_audit
from recado.storage.customers import current_id, customer_row
from recado.storage.ledger import read_ledger
from recado.storage.message_queue import NewMessage, queue_message


def queue_operator_reply(
    conn: sqlite3.Connection,
    customer_id: int,
    text: str,
    request_id: str,
    now: datetime,
    source_ip: str,
) -> dict[str, Any]:
    """Returns ``outcome`` not_found | refused (``reason``: the window's, no_inbound or
    window_closed) | queued | already (the same request, queued before) with the message's
    ``id`` and ``state``."""
    if customer_row(conn, customer_id) is None:
        return {"outcome": "not_found"}
    customer = current_id(conn, customer_id)
    job_id = message_id(OPERATOR_REPLY, str(customer), request_id)
    row = conn.execute("SELECT state FROM messages WHERE id = ?", (job_id,)).fetchone()
    if row is not None:
        return {"outcome": "already", "id": job_id, "state": row["state"]}
    window = window_state(read_ledger(conn, customer), now)
    if not window.open:
        return {"outcome": "refused", "reason": window.reason}
    queue_message(
        conn,
        NewMessage(job_id, OPERATOR_REPLY, now, customer_id=customer, text_body=text),
        now,
    )
    record_audit(
        conn,
        now,
        "conversations.reply",
        str(customer),
        source_ip,
        "operator",
        {"message_id": job_id, "chars": len(text)},
    )
    return {"outcome": "queued", "id": job_id, "state": "queued"}
