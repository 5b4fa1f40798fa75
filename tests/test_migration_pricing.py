"""The migration that keeps pricing on messages and links edits to their message reads what
an older recado stored, losing nothing (issue 12, item 6)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from recado.storage.actor import connect_writer
from recado.storage.migrate import _statements, available, migrate

T0 = 1796000000


def _old_database(path: Path, version: int) -> sqlite3.Connection:
    c = connect_writer(path)
    c.row_factory = sqlite3.Row
    for mig in available()[:version]:
        for statement in _statements(mig.sql):
            c.execute(statement)
    c.executemany(
        "INSERT INTO schema_version VALUES (?, 'old', 'x')", [(v,) for v in range(1, version + 1)]
    )
    return c


def test_pricing_and_edits_stored_before_are_read_again(tmp_path: Path) -> None:
    version = next(m.version for m in available() if m.name.endswith("_pricing_and_edits.sql"))
    c = _old_database(tmp_path / "old.db", version - 1)
    c.execute("INSERT INTO webhook_inbox(received_at, body, body_sha256) VALUES ('x', x'00', 'x')")
    for mid in ("m1", "m2", "m3", "m4"):
        c.execute(
            "INSERT INTO messages(id, kind, state, wamid, created_at, updated_at) "
            "VALUES (?, 'appointment_created', 'delivered', ?, 'x', 'x')",
            (mid, f"wamid.{mid}"),
        )
    statuses = [
        ("m1", "sent", T0, {"billable": True, "category": "utility", "type": "regular"}),
        (
            "m1",
            "delivered",
            T0 + 5,
            {"billable": True, "category": "marketing", "type": "regular", "pricing_model": "PMP"},
        ),
        (
            "m2",
            "sent",
            T0,
            {"billable": False, "category": "service", "type": "free_customer_service"},
        ),
        ("m3", "sent", T0, {"billable": "yes", "category": 7}),  # wrong types: left out
        ("m4", "sent", T0, None),
    ]
    for mid, status, ts, pricing in statuses:
        c.execute(
            "INSERT INTO message_statuses(wamid, status, ts, pricing_json, message_id, outcome, "
            "inbox_id, received_at) VALUES (?, ?, ?, ?, ?, 'applied', 1, 'x')",
            (f"wamid.{mid}", status, ts, None if pricing is None else json.dumps(pricing), mid),
        )
    for wamid, mtype, content in (
        ("w1", "text", {"body": "Oi"}),
        ("w2", "edit", {"original_message_id": "w1", "message": {"type": "text"}}),
        ("w3", "revoke", {"original_message_id": "w1"}),
        ("w4", "edit", {"original_message_id": 5}),
    ):
        c.execute(
            "INSERT INTO inbound_messages(wamid, wa_id, ts, type, content_json, inbox_id, "
            "received_at) VALUES (?, '5511987654321', ?, ?, ?, 1, 'x')",
            (wamid, T0, mtype, json.dumps(content)),
        )
    c.commit()
    assert migrate(c) == available()[-1].version
    rows = [
        tuple(r)
        for r in c.execute(
            "SELECT id, pricing_billable, pricing_category, pricing_type, pricing_model, "
            "priced_at FROM messages ORDER BY id"
        )
    ]
    assert rows == [
        ("m1", 1, "marketing", "regular", "PMP", "2026-11-30T00:53:20.000Z"),
        ("m2", 0, "service", "free_customer_service", None, "2026-11-30T00:53:20.000Z"),
        ("m3", None, None, None, None, None),
        ("m4", None, None, None, None, None),
    ]
    originals = c.execute("SELECT wamid, original_wamid FROM inbound_messages ORDER BY wamid")
    assert [tuple(r) for r in originals] == [
        ("w1", None),
        ("w2", "w1"),
        ("w3", "w1"),
        ("w4", None),
    ]
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    c.close()
