"""What a status webhook does to its message beyond moving its state (a storage write
helper of ``webhook_apply``, run in the status's own transaction):

- its ``pricing`` is kept on the message (``rules/pricing``), from any status that carries
  it, even one that arrives out of order and moves nothing;
- a status that moves a ``held`` message on leaves the held reason behind;
- an applied ``failed`` status gives the message the reason its first error reads as, and
  the alert the code asks for (``rules/send_outcome.after_failed_status``).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import from_unix, iso
from recado.rules import states as st
from recado.rules.pricing import read_pricing
from recado.rules.send_outcome import after_failed_status
from recado.storage.alerts import add_alert


def keep_pricing(
    conn: sqlite3.Connection, message_id: str, pricing_json: str | None, ts: int
) -> None:
    pricing = read_pricing(pricing_json)
    if pricing is None:
        return
    at = from_unix(ts)
    billable = None if pricing.billable is None else int(pricing.billable)
    conn.execute(
        "UPDATE messages SET pricing_billable = COALESCE(?, pricing_billable), "
        "pricing_category = COALESCE(?, pricing_category), "
        "pricing_type = COALESCE(?, pricing_type), pricing_model = COALESCE(?, pricing_model), "
        "priced_at = CASE WHEN priced_at IS NULL OR ? < priced_at THEN ? ELSE priced_at END "
        "WHERE id = ?",
        (
            billable,
            pricing.category,
            pricing.type,
            pricing.model,
            iso(at) if at else None,
            iso(at) if at else None,
            message_id,
        ),
    )


def after_applied(
    conn: sqlite3.Connection,
    message_id: str,
    before: str,
    after: str,
    errors_json: str | None,
    now: datetime,
) -> None:
    """The status moved the message from ``before`` to ``after``."""
    if after == st.FAILED:
        code, title, details = _first_error(errors_json)
        u = after_failed_status(message_id, code, title, details)
        conn.execute(
            "UPDATE messages SET reason_code = ?, reason_json = ? WHERE id = ?",
            (u.reason_code, json.dumps(u.reason, ensure_ascii=False), message_id),
        )
        if u.alert is not None:
            a = u.alert
            add_alert(conn, now, a.severity, a.code, a.subject, a.pt_br, a.en)
    elif before == st.HELD:
        conn.execute(
            "UPDATE messages SET reason_code = NULL, reason_json = NULL WHERE id = ?",
            (message_id,),
        )


def _first_error(errors_json: str | None) -> tuple[int | None, str | None, str | None]:
    try:
        errors: Any = json.loads(errors_json) if errors_json else []
    except ValueError:
        errors = []
    first = errors[0] if isinstance(errors, list) and errors else {}
    if not isinstance(first, dict):
        return None, None, None
    code = first.get("code")
    title, details = first.get("title") or first.get("message"), first.get("details")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        title if isinstance(title, str) else None,
        details if isinstance(details, str) else None,
    )
