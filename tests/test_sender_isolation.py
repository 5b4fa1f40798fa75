"""One bad job never stops the sender (issue 10): a job whose processing raises is failed
with ``internal_error`` and the exception named, the jobs beside it go out, the actor is
never restarted, and the operator can retry it once the data is fixed. A value stored before
inputs were bounded (a ledger timestamp of 10^17) does not crash the sender nor the
conversation page."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from recado.clock import iso
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from tests.reasons import reason_in
from tests.test_sender import PHONE, book, notice_reaches, settle, stack
from tests.webhook_helpers import deliver, query


def _db(daemon: Daemon) -> sqlite3.Connection:
    return sqlite3.connect(daemon.storage.path, isolation_level=None)


def _insert_job(daemon: Daemon, job_id: str, kind: str, **columns: object) -> None:
    """A queued job as an older recado (or a bug) could have stored it, due now."""
    now = iso(datetime.now(UTC) - timedelta(seconds=5))
    values = {
        "id": job_id,
        "kind": kind,
        "wa_id": PHONE[1:],
        "to_number": PHONE,
        "state": "queued",
        "created_at": now,
        "updated_at": now,
        "due_at": now,
        **columns,
    }
    with _db(daemon) as conn:
        conn.execute(
            f"INSERT INTO messages({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )


def _bad_appointment(daemon: Daemon, job_id: str) -> None:
    with _db(daemon) as conn:
        conn.execute(
            "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
            "VALUES ('e-old', 'appointment.created', '2026-01-01T00:00:00Z', '{}', 'x', "
            "'2026-01-01T00:00:00Z')"
        )
        conn.execute(
            "INSERT INTO appointments(id, client_name, phone, wa_id, service, starts_at, "
            "status, last_event_id, created_at, updated_at) VALUES ('apt-old', 'Ana', ?, ?, "
            "'Corte', 'sometime', 'scheduled', 'e-old', '2026-01-01', '2026-01-01')",
            (PHONE, PHONE[1:]),
        )
    _insert_job(daemon, job_id, "appointment_reminder", appointment_id="apt-old")


POISONS = {
    # A flow action's values with a start in year 9999, as stored before the bounds: the
    # local time in the studio's zone overflows.
    "start_in_year_9999": (
        lambda d, j: _insert_job(
            d,
            j,
            "appointment_created",
            params_json=json.dumps({"starts_at": "9999-12-31T23:00:00-05:00"}),
        ),
        "OverflowError",
    ),
    "params_not_json": (
        lambda d, j: _insert_job(d, j, "appointment_created", params_json="{"),
        "JSONDecodeError",
    ),
    "appointment_start_unreadable": (_bad_appointment, "ValueError"),
}


@pytest.mark.parametrize("poison", sorted(POISONS))
async def test_a_job_that_raises_fails_alone_and_the_others_go_out(
    daemon_dir: Path, poison: str
) -> None:
    insert, error_type = POISONS[poison]
    async with stack(daemon_dir) as (daemon, double, client):
        insert(daemon, "job-poison")
        await book(daemon, client, apt="healthy")
        await settle(
            daemon,
            "SELECT id, state, reason_code FROM messages WHERE id = 'job-poison' OR "
            "(appointment_id = 'healthy' AND kind = 'appointment_created') ORDER BY id",
            [
                {"id": "job-poison", "state": "failed", "reason_code": "internal_error"},
                {"id": notice_id(daemon), "state": "sent", "reason_code": None},
            ],
        )
        reason = query(daemon, "SELECT reason_json FROM messages WHERE id = ?", "job-poison")[0][
            "reason_json"
        ]
        assert reason_in(reason, "en").startswith(
            f"Internal error while preparing the message ({error_type}"
        )
        assert reason_in(reason, "pt-BR").startswith(
            f"Erro interno ao preparar a mensagem ({error_type}"
        )
        assert double.sends_for("job-poison") == []
        # Visible to the operator, and retryable there.
        op = daemon.listeners["operator"].url
        page = (await client.get(f"{op}/messages/job-poison.json")).json()
        assert page["message"]["state"] == "failed" and error_type in page["message"]["reason_text"]
        # (stack() asserts on exit that no actor was restarted.)


async def _kill_switch(daemon: Daemon, client: httpx.AsyncClient, on: bool) -> None:
    response = await client.post(
        f"{daemon.listeners['operator'].url}/whatsapp/kill-switch",
        json={"on": on},
        headers={"X-API-Key": daemon.api_key},
    )
    assert response.status_code == 200, response.text


def notice_id(daemon: Daemon) -> str:
    rows = query(
        daemon,
        "SELECT id FROM messages WHERE appointment_id = 'healthy' AND kind = 'appointment_created'",
    )
    return rows[0]["id"] if rows else ""


async def test_a_failed_job_is_retried_by_the_operator_once_fixed(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        _insert_job(daemon, "job-fix", "appointment_created", params_json="{")
        daemon.after_commit("sender")
        await settle(
            daemon, "SELECT state FROM messages WHERE id = 'job-fix'", [{"state": "failed"}]
        )
        starts = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
        with _db(daemon) as conn:
            conn.execute(
                "UPDATE messages SET params_json = ? WHERE id = 'job-fix'",
                (json.dumps({"starts_at": starts, "client_name": "Ana"}),),
            )
        op = daemon.listeners["operator"].url
        retried = await client.post(
            f"{op}/messages/job-fix/retry", headers={"X-API-Key": daemon.api_key}
        )
        assert retried.status_code == 200, retried.text
        await settle(daemon, "SELECT state FROM messages WHERE id = 'job-fix'", [{"state": "sent"}])
        assert len(double.sends_for("job-fix")) == 1


async def test_a_stored_timestamp_of_10_17_crashes_neither_sender_nor_page(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir) as (daemon, _, client):
        await book(daemon, client, apt="a1")
        await notice_reaches(daemon, "sent")
        # A tap plans a free-form reply, which needs the window, read from the ledger. The
        # tap itself moves the ledger by the window's rule (a stamp out of range reads as
        # none), so the reply is held while the ledger is spoiled under it.
        await _kill_switch(daemon, client, True)
        now = int(datetime.now(UTC).timestamp())
        await deliver(
            daemon, client, wb.inbound_button("TALK:a1", "Falar", wa_id=PHONE[1:], ts=now)
        )
        with _db(daemon) as conn:
            conn.execute(
                # The ledger is the customer's (their migration): the client booked by PHONE.
                "INSERT INTO conversations(customer_id, last_inbound_at, inbound_count, "
                "updated_at) SELECT id, ?, 1, '2026-01-01T00:00:00Z' FROM customers "
                "WHERE phone = ? ON CONFLICT(customer_id) DO UPDATE SET "
                "last_inbound_at = excluded.last_inbound_at",
                (10**17, PHONE),
            )
        await _kill_switch(daemon, client, False)
        await settle(
            daemon,
            "SELECT state FROM messages WHERE kind = 'button_reply'",
            [{"state": "skipped"}],
        )
        # A status stamped 10^17 on a sent message, from before the bounds.
        (notice,) = query(
            daemon, "SELECT id, wamid FROM messages WHERE kind = 'appointment_created'"
        )
        with _db(daemon) as conn:
            conn.execute(
                "INSERT INTO message_statuses(wamid, status, ts, message_id, outcome, inbox_id, "
                "received_at) VALUES (?, 'read', ?, ?, 'applied', "
                "(SELECT MIN(id) FROM webhook_inbox), '2026-01-01T00:00:00Z')",
                (notice["wamid"], 10**17, notice["id"]),
            )
        op = daemon.listeners["operator"].url
        for path in (
            f"/conversations/{PHONE[1:]}",
            f"/conversations/{PHONE[1:]}.json",
            f"/messages/{notice['id']}",
            f"/messages/{notice['id']}.json",
        ):
            assert (await client.get(op + path)).status_code == 200, path
