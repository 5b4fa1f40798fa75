"""The chaos ledger (recado/testing/ledger.py) finds each class of breach it is there for: a
clean run that proves nothing would look the same as a checker that looks at nothing. A real
database (every migration) and the doubles' own logs, with one breach of each class written
in beside records that are fine."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from recado.storage.connections import connect_writer
from recado.storage.migrate import migrate
from recado.testing.graph_double import GraphDouble, Recorded
from recado.testing.ledger import Ledger, check, settled
from recado.testing.service_double import Request, ServiceDouble

TS = "2026-12-01T12:00:00.000Z"


def _event(eid: str, etype: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": eid, "type": etype, "occurred_at": TS, "data": data}


def _db(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    db = tmp_path / "recado.db"
    conn = connect_writer(db)
    migrate(conn)
    return db, conn


def _kept_event(conn: sqlite3.Connection, eid: str, etype: str) -> None:
    conn.execute(
        "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
        "VALUES (?, ?, ?, '{}', 'x', ?)",
        (eid, etype, TS, TS),
    )


def _delivery(conn: sqlite3.Connection, eid: str, action: str, state: str) -> None:
    conn.execute(
        "INSERT INTO deliveries(event_id, action, service, state, next_attempt_at, created_at, "
        "updated_at) VALUES (?, ?, 'crm', ?, ?, ?, ?)",
        (eid, action, state, TS, TS, TS),
    )


def _notice(conn: sqlite3.Connection, job: str, aid: str, starts_at: str, state: str) -> None:
    conn.execute(
        "INSERT INTO messages(id, kind, appointment_id, starts_at, wa_id, to_number, state, "
        "created_at, updated_at) VALUES (?, 'appointment_created', ?, ?, '5511', '+5511', ?, ?, ?)",
        (job, aid, starts_at, state, TS, TS),
    )


def _inbound(conn: sqlite3.Connection, wamid: str) -> None:
    inbox = conn.execute(
        "INSERT INTO webhook_inbox(received_at, body, body_sha256, processed_at) "
        "VALUES (?, x'7b7d', 'x', ?)",
        (TS, TS),
    ).lastrowid
    customer = conn.execute(
        "INSERT INTO customers(wa_id, created_at, updated_at) VALUES ('5511', ?, ?)", (TS, TS)
    ).lastrowid
    conn.execute(
        "INSERT INTO inbound_messages(wamid, customer_id, wa_id, ts, type, content_json, "
        "inbox_id, received_at) VALUES (?, ?, '5511', 0, 'text', '{}', ?, ?)",
        (wamid, customer, inbox, TS),
    )


def _sent(graph: GraphDouble, job: str, answered: str = "ok") -> None:
    body = {"biz_opaque_callback_data": job}
    graph.requests.append(Recorded(0.0, "POST", "/v23.0/1/messages", {}, body, answered))


def _delivered(service: ServiceDouble, eid: str, key: str) -> None:
    headers = {"idempotency-key": key}
    service.requests.append(Request(0.0, "POST", "/leads", {}, headers, {"id": eid}, "ok"))


def test_a_clean_run_is_clean_and_each_breach_is_named(tmp_path: Path) -> None:
    db, conn = _db(tmp_path)
    graph, crm = GraphDouble(), ServiceDouble("crm")
    ledger = Ledger()
    # Fine: a lead kept and delivered once under one key (asked twice: a retry after a kill),
    # an appointment with one notice sent once, an inbound text applied and delivered.
    ledger.acknowledged("event", "lead-1", _event("lead-1", "lead.created", {"id": "l1"}))
    _kept_event(conn, "lead-1", "lead.created")
    _delivery(conn, "lead-1", "http:crm:POST:/leads", "done")
    _delivered(crm, "lead-1", "lead-1:http:crm:POST:/leads")
    _delivered(crm, "lead-1", "lead-1:http:crm:POST:/leads")
    apt = _event("evt-apt-1", "appointment.created", {"appointment_id": "apt-1"})
    ledger.acknowledged("event", "evt-apt-1", apt)
    _kept_event(conn, "evt-apt-1", "appointment.created")
    _notice(conn, "job-1", "apt-1", TS, "sent")
    _sent(graph, "job-1", "error 131000")  # refused, then accepted: one send at Meta
    _sent(graph, "job-1")
    ledger.acknowledged("webhook", "wamid.IN1", {})
    _inbound(conn, "wamid.IN1")
    _kept_event(conn, "wa-in:wamid.IN1", "whatsapp.message.received")
    _delivery(conn, "wa-in:wamid.IN1", "http:ops:POST:/inbound", "done")
    conn.commit()
    verdict = check(db, ledger, graph, {"crm": crm})
    assert verdict.clean, verdict.line()
    assert settled(db, ledger)

    # One breach of each class.
    ledger.acknowledged("event", "lead-2", _event("lead-2", "lead.created", {"id": "l2"}))
    ledger.acknowledged("webhook", "wamid.IN2", {})
    apt2 = _event("evt-apt-2", "appointment.created", {"appointment_id": "apt-2"})
    ledger.acknowledged("event", "evt-apt-2", apt2)
    _kept_event(conn, "evt-apt-2", "appointment.created")
    _notice(conn, "job-2", "apt-2", TS, "queued")
    _notice(conn, "job-3", "apt-2", "2026-12-02T12:00:00.000Z", "sent")
    _sent(graph, "job-3")
    _sent(graph, "job-3")
    _delivered(crm, "lead-1", "a-new-key")
    conn.commit()
    verdict = check(db, ledger, graph, {"crm": crm})
    assert verdict.lost == [
        "event lead-2",
        "webhook wamid.IN2",
        "delivery of lead-2",
        "delivery of wamid.IN2",
    ]
    assert verdict.applied_twice == ["notice apt-2"]
    assert verdict.sent_twice == ["job job-3"]
    assert verdict.new_key == ["crm lead-1: ['a-new-key', 'lead-1:http:crm:POST:/leads']"]
    assert not verdict.clean
    assert not settled(db, ledger)  # job-2 is still queued
