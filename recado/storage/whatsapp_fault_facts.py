"""What the WhatsApp side's standing alerts read from the database (``rules/whatsapp_faults``):
the throttled streak and the template messages Meta refused for the 24 h window. Each query
reads a window of time through the ``finished_at`` / ``received_at`` indexes; a join to the
messages goes from that window to each message by its key (``CROSS JOIN`` keeps SQLite to
that order: left free, it read every template message ever sent by the kind index and each
one's attempts, 1.6-2.3 s a query at 1 M messages)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from recado.clock import iso, parse_iso
from recado.rules.kinds import TEMPLATE_KINDS
from recado.rules.whatsapp_faults import THROTTLE_CODES, WINDOW_CLOSED_CODES

WINDOW_CLOSED_LOOKBACK = timedelta(days=1)
_HORIZON = timedelta(days=2)
_KINDS = ",".join(f"'{k}'" for k in TEMPLATE_KINDS)
_THROTTLE = ",".join(str(c) for c in THROTTLE_CODES)
_CLOSED = ",".join(str(c) for c in WINDOW_CLOSED_CODES)


@dataclass(frozen=True)
class ThrottleFacts:
    throttled_since: datetime | None
    throttled_streak: int
    window_closed_templates: int
    window_closed_last_at: datetime | None


def _dt(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def throttle_facts(conn: sqlite3.Connection, now: datetime) -> ThrottleFacts:
    horizon = iso(now - _HORIZON)
    accepted = conn.execute(
        "SELECT MAX(finished_at) FROM message_attempts "
        "WHERE finished_at >= ? AND +outcome = 'sent' AND +dry_run = 0",
        (horizon,),
    ).fetchone()[0]
    throttled = conn.execute(
        "SELECT COUNT(*), MIN(finished_at) FROM message_attempts WHERE finished_at > ? "
        f"AND +outcome = 'rejected' AND +dry_run = 0 AND +error_code IN ({_THROTTLE})",
        (accepted or horizon,),
    ).fetchone()
    since = iso(now - WINDOW_CLOSED_LOOKBACK)
    template_accepted = conn.execute(
        "SELECT MAX(a.finished_at) FROM message_attempts a CROSS JOIN messages m "
        "ON m.id = a.message_id WHERE a.finished_at >= ? AND +a.outcome = 'sent' "
        f"AND +a.dry_run = 0 AND m.kind IN ({_KINDS})",
        (since,),
    ).fetchone()[0]
    floor = max(since, template_accepted) if template_accepted else since
    # Refused at once (the send's answer), or accepted and then failed (a status).
    answered = conn.execute(
        "SELECT COUNT(DISTINCT a.message_id), MAX(a.finished_at) FROM message_attempts a "
        "CROSS JOIN messages m ON m.id = a.message_id WHERE a.finished_at > ? "
        f"AND +a.outcome = 'rejected' AND +a.error_code IN ({_CLOSED}) AND m.kind IN ({_KINDS})",
        (floor,),
    ).fetchone()
    statuses = conn.execute(
        "SELECT COUNT(DISTINCT s.message_id), MAX(s.received_at) FROM message_statuses s "
        "CROSS JOIN messages m ON m.id = s.message_id WHERE s.received_at > ? "
        "AND s.status = 'failed' AND CASE WHEN json_valid(s.errors_json) "
        f"THEN json_extract(s.errors_json, '$[0].code') END IN ({_CLOSED}) "
        f"AND m.kind IN ({_KINDS})",
        (floor,),
    ).fetchone()
    lasts = [t for t in (answered[1], statuses[1]) if t]
    return ThrottleFacts(
        throttled_since=_dt(throttled[1]),
        throttled_streak=int(throttled[0]),
        window_closed_templates=int(answered[0]) + int(statuses[0]),
        window_closed_last_at=_dt(max(lasts)) if lasts else None,
    )
