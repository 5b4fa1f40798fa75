"""Sample values for the operator pages' path parameters and the filter variants of each
list, read from a database of a studio's rows: what the query-plan test
(tests/test_query_plans.py) and the pages bench (bench/pages_at_scale.py) ask for, so the
two check the same URLs."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from urllib.parse import quote

from recado.rules.phone import display_phone, phone_of_wa_id

Sample = Callable[[sqlite3.Connection], list[str]]


def _ids(sql: str) -> Sample:
    return lambda conn: [str(r[0]) for r in conn.execute(sql)]


# A value of each path parameter for each kind of row that takes other queries.
SAMPLES: dict[str, Sample] = {
    "message_id": _ids(
        "SELECT * FROM (SELECT id FROM messages WHERE wamid IS NOT NULL LIMIT 1) UNION ALL "
        "SELECT * FROM (SELECT id FROM messages WHERE appointment_id IS NULL LIMIT 1) "
        "UNION ALL SELECT * FROM (SELECT id FROM messages WHERE state = 'skipped' LIMIT 1)"
    ),
    "delivery_id": _ids(
        "SELECT * FROM (SELECT id FROM deliveries WHERE state = 'dead' LIMIT 1) UNION ALL "
        "SELECT * FROM (SELECT id FROM deliveries WHERE state = 'done' LIMIT 1)"
    ),
    "event_id": _ids("SELECT event_id FROM deliveries LIMIT 1"),
    "appointment_id": _ids("SELECT id FROM appointments LIMIT 1"),
    "wa_id": _ids("SELECT wa_id FROM echo_messages LIMIT 1"),
    "incident_id": _ids("SELECT id FROM incidents ORDER BY id DESC LIMIT 1"),
}


def query_variants(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Each filter of a list is another query: each is asked for (as the plan test does)."""
    day = conn.execute("SELECT substr(MIN(created_at), 1, 10) FROM messages").fetchone()[0]
    row = conn.execute("SELECT created_at, id, wa_id, kind, state FROM messages").fetchone()
    created_at, mid, wa_id, kind, state = row
    cursor = created_at + mid
    inbox = conn.execute("SELECT MAX(id) FROM webhook_inbox").fetchone()[0]
    # The client's number as an operator types it in the form: (11) 98765-4321.
    national = quote(display_phone(phone_of_wa_id(wa_id) or wa_id))
    # A client's name as a receptionist types it: the start of a word, in capitals.
    name = conn.execute("SELECT name FROM client_names ORDER BY id LIMIT 1").fetchone()[0]
    typed = quote(name.split()[-1][:4].upper())
    messages = [
        "",
        f"?state={state}",
        f"?kind={kind}",
        f"?date={day}",
        f"?phone={wa_id}",
        f"?phone={national}",
        f"?before={cursor}",
        f"?state={state}&before={cursor}",
        f"?kind={kind}&date={day}&before={cursor}",
        f"?phone={wa_id}&state={state}&date={day}",
        f"?phone={national}&kind={kind}&before={cursor}",
        f"?name={typed}",
        f"?name={quote(name)}&state={state}&date={day}",
        f"?name={typed}&phone={national}&before={cursor}",
        # A letter every other client's name has: the most clients a search lists.
        "?name=a",
        "?name=zzzqx",
    ]
    return {
        "/messages": messages,
        "/messages.csv": messages,
        "/dlq.csv": ["", "?state=archived"],
        "/report.csv": ["", f"?date={day}"],
        "/webhooks": [
            "",
            "?state=pending",
            "?state=failed",
            "?state=processed",
            f"?before={inbox}",
        ],
        "/dlq": ["", "?state=archived", "?page=2&per_page=1"],
        "/alerts": ["", "?all=1"],
        "/audit": ["", "?limit=3"],
        "/report/daily": ["", f"?date={day}"],
    }
