"""Statuses and send answers as Meta gives them since 2025 (issue 12, item 6): per-message
pricing without ``conversation``, held sends, failed statuses read through the classifier;
against the daemon and the Graph double."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from tests.reasons import reason_in
from tests.test_sender import PHONE, book, notice, notice_reaches, settle, stack
from tests.webhook_helpers import post_body, query


def _status(
    wamid: str,
    status: str,
    ts: int,
    *,
    pricing: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    callback_data: str | None = None,
) -> dict[str, Any]:
    """A v24+ status: no ``conversation`` object, ``pricing`` when given."""
    change = wb.status(
        wamid, status, ts=ts, recipient=PHONE[1:], errors=errors, callback_data=callback_data
    )
    item = change["value"]["statuses"][0]
    item.pop("conversation", None)
    item.pop("pricing", None)
    if pricing is not None:
        item["pricing"] = pricing
    return change


async def _deliver(daemon: Daemon, client: httpx.AsyncClient, *changes: dict[str, Any]) -> None:
    assert (await post_body(daemon, client, wb.envelope(list(changes)))).status_code == 200
    await daemon.commands.webhooks.drain()


def _utility(billable: bool = True, category: str = "utility") -> dict[str, Any]:
    return {"billable": billable, "pricing_model": "PMP", "type": "regular", "category": category}


async def test_a_held_send_shows_held_until_a_status_moves_it_on(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.hold_next(1)
        await book(daemon, client)
        await notice_reaches(daemon, "held")
        job = notice(daemon)
        assert job["reason_code"] == "held_held_for_quality_assessment"
        assert "avaliar a qualidade" in reason_in(job["reason_json"], "pt-BR")
        op = daemon.listeners["operator"].url
        page = (await client.get(f"{op}/messages/{job['id']}")).text
        assert "retida pela Meta" in page and "avaliar a qualidade" in page
        listed = (await client.get(f"{op}/messages.json?state=held")).json()["items"]
        assert [m["id"] for m in listed] == [job["id"]]
        # Held is not sent: the report and the list say so; Meta's next word moves it.
        now = int(datetime.now(UTC).timestamp())
        await _deliver(daemon, client, _status(job["wamid"], "delivered", now))
        await notice_reaches(daemon, "delivered")
        moved = notice(daemon)
        assert (moved["reason_code"], moved["reason_json"]) == (None, None)
        assert len(double.sends_for(job["id"])) == 1


async def test_a_paused_send_that_then_fails_reads_the_failure(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.hold_next(1, "paused")
        await book(daemon, client)
        await notice_reaches(daemon, "held")
        job = notice(daemon)
        assert "pausou a entrega" in reason_in(job["reason_json"], "pt-BR")
        now = int(datetime.now(UTC).timestamp())
        error = wb.graph_error(131049, "Message not delivered", "ecosystem engagement")
        await _deliver(daemon, client, _status(job["wamid"], "failed", now, errors=[error]))
        await notice_reaches(daemon, "failed")
        failed = notice(daemon)
        assert failed["reason_code"] == "graph_131049"
        assert "24 h" in reason_in(failed["reason_json"], "pt-BR")


async def test_pricing_is_kept_on_the_message_and_counted_by_category(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await book(daemon, client)
        await book(daemon, client, apt="apt-2")
        await settle(
            daemon,
            "SELECT COUNT(*) AS n FROM messages WHERE kind = 'appointment_created' "
            "AND state = 'sent'",
            [{"n": 2}],
        )
        jobs = query(
            daemon,
            "SELECT id, wamid FROM messages WHERE kind = 'appointment_created' "
            "ORDER BY appointment_id",
        )
        now = int(datetime.now(UTC).timestamp())
        # Out of order: delivered first (moves it), then sent with the pricing (moves nothing).
        await _deliver(
            daemon,
            client,
            _status(jobs[0]["wamid"], "delivered", now + 5),
            _status(jobs[0]["wamid"], "sent", now, pricing=_utility()),
            _status(jobs[1]["wamid"], "delivered", now, pricing=_utility(billable=False)),
        )
        rows = query(
            daemon,
            "SELECT state, pricing_billable, pricing_category, pricing_type, pricing_model "
            "FROM messages WHERE kind = 'appointment_created' ORDER BY appointment_id",
        )
        assert rows == [
            {
                "state": "delivered",
                "pricing_billable": 1,
                "pricing_category": "utility",
                "pricing_type": "regular",
                "pricing_model": "PMP",
            },
            {
                "state": "delivered",
                "pricing_billable": 0,
                "pricing_category": "utility",
                "pricing_type": "regular",
                "pricing_model": "PMP",
            },
        ]
        op = daemon.listeners["operator"].url
        report = (await client.get(f"{op}/report/daily.json")).json()
        assert report["billable"] == {"utility": 1}
        page = (await client.get(f"{op}/report/daily")).text
        assert "Mensagens cobradas pela Meta" in page and "utilidade" in page


async def test_pricing_waits_with_a_status_that_came_before_its_message(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.hang_next(1, seconds=0.5)  # the answer never comes: uncertain, no wamid
        await book(daemon, client)
        await notice_reaches(daemon, "uncertain")
        job = notice(daemon)
        now = int(datetime.now(UTC).timestamp())
        # A status with a wamid nobody knows and no callback data: kept pending.
        await _deliver(daemon, client, _status("wamid.LATE", "sent", now, pricing=_utility()))
        assert query(daemon, "SELECT outcome FROM message_statuses") == [{"outcome": "pending"}]
        # The next one names the job: it learns its wamid and the pending one applies.
        await _deliver(
            daemon,
            client,
            _status("wamid.LATE", "delivered", now + 1, callback_data=job["id"]),
        )
        row = query(
            daemon,
            "SELECT state, pricing_billable, pricing_category FROM messages WHERE id = ?",
            job["id"],
        )
        assert row == [{"state": "delivered", "pricing_billable": 1, "pricing_category": "utility"}]


async def test_failed_statuses_read_as_their_code_and_alert_when_it_asks(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        for apt in ("apt-1", "apt-2", "apt-3"):
            await book(daemon, client, apt=apt)
        await settle(
            daemon,
            "SELECT COUNT(*) AS n FROM messages WHERE kind = 'appointment_created' "
            "AND state = 'sent'",
            [{"n": 3}],
        )
        jobs = query(
            daemon,
            "SELECT id, wamid FROM messages WHERE kind = 'appointment_created' "
            "ORDER BY appointment_id",
        )
        now = int(datetime.now(UTC).timestamp())
        payment = wb.graph_error(131042, "Business eligibility payment issue", "payment")
        odd = wb.graph_error(139999, "Something new", "a code recado does not know")
        await _deliver(
            daemon,
            client,
            _status(jobs[0]["wamid"], "failed", now, errors=[payment]),
            _status(jobs[1]["wamid"], "failed", now, errors=[odd]),
            _status(jobs[2]["wamid"], "failed", now),
        )
        rows = query(
            daemon,
            "SELECT state, reason_code, reason_json FROM messages "
            "WHERE kind = 'appointment_created' ORDER BY appointment_id",
        )
        assert [(r["state"], r["reason_code"]) for r in rows] == [
            ("failed", "graph_131042"),
            ("failed", "status_failed"),
            ("failed", "status_failed_no_code"),
        ]
        assert "forma de pagamento" in reason_in(rows[0]["reason_json"], "pt-BR")
        assert reason_in(rows[1]["reason_json"], "en") == (
            "Meta reported that the message failed (code 139999: Something new)."
        )
        assert query(daemon, "SELECT severity, code, subject FROM alerts") == [
            {"severity": "critical", "code": "graph_131042", "subject": jobs[0]["id"]}
        ]


def test_a_held_answer_after_a_sent_status_leaves_it_sent(tmp_path: Path) -> None:
    """The status can outrun the send's answer (it finds the job by its callback data):
    the held answer, older news, must not move the message back."""
    from recado.rules.graph_results import Accepted
    from recado.rules.send_outcome import SendSettings, after_send
    from recado.storage.actor import connect_writer
    from recado.storage.inbox import insert_inbox
    from recado.storage.message_queue import NewMessage, queue_message
    from recado.storage.migrate import migrate
    from recado.storage.sending import apply_job_update, mark_sending
    from recado.storage.webhook_apply import apply_body

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    conn = connect_writer(tmp_path / "recado.db")
    migrate(conn)
    conn.execute("BEGIN IMMEDIATE")
    queue_message(conn, NewMessage("job-1", "button_reply", now, phone=PHONE), now)
    attempt = mark_sending(conn, "job-1", now, PHONE, False, {})
    raw = wb.encode(
        wb.envelope([_status("wamid.H1", "sent", int(now.timestamp()), callback_data="job-1")])
    )
    apply_body(conn, insert_inbox(conn, now, raw, True, "messages", ""), raw, now)
    settings = SendSettings(5, 1, 10, 600, 15, "fp")
    held = Accepted("wamid.H1", PHONE[1:], {}, "held_for_quality_assessment")
    apply_job_update(conn, "job-1", attempt, now, after_send("job-1", held, 1, settings, now, 0))
    conn.execute("COMMIT")
    row = conn.execute("SELECT state, wamid, reason_code FROM messages").fetchone()
    assert tuple(row) == ("sent", "wamid.H1", None)
    conn.close()
