"""The Meta webhook receiver end to end: real daemon, real HTTP, signed real-format bodies."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import httpx
import pytest

from recado.clock import iso
from recado.testing import webhook_bodies as wb
from tests.webhook_helpers import (
    APP_SECRET,
    VERIFY_TOKEN,
    deliver,
    dump_tables,
    query,
    webhook_daemon,
)

WA = "5511987654321"


def _add_message(db: Path, job_id: str, wamid: str | None, state: str = "sent") -> None:
    """An outbound message as the sender records it (the sender lands with messaging)."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO messages(id, kind, wa_id, to_number, state, wamid, created_at, "
            "updated_at) VALUES (?, 'appointment_created', ?, ?, ?, ?, 'x', 'x')",
            (job_id, WA, "+" + WA, state, wamid),
        )


async def test_verify_handshake(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
        ok = await client.get(
            url,
            params={
                "hub.mode": "subscribe",
                "hub.challenge": "1158201444",
                "hub.verify_token": VERIFY_TOKEN,
            },
        )
        assert ok.status_code == 200
        assert ok.text == "1158201444"
        assert ok.headers["content-type"].startswith("text/plain")
        for params in (
            {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"},
            {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN},
            {"hub.challenge": "1"},
        ):
            refused = await client.get(url, params=params)
            assert refused.status_code == 403
            assert refused.json()["error"] == "forbidden"


async def test_every_inbound_type_is_stored_once_with_its_fields(daemon_dir: Path) -> None:
    template_wamid = "wamid.TPL0000000001"
    changes = [
        wb.inbound_text("Oi, tudo bem?", ts=1767225600, id="wamid.T1"),
        wb.inbound_button(
            "CONFIRM:apt-1", "Confirmar", context_id=template_wamid, ts=1767225601, id="wamid.B1"
        ),
        wb.inbound_interactive(
            "opt_yes", "Sim", ts=1767225602, id="wamid.I1", context_id="wamid.INT"
        ),
        wb.inbound_interactive("row_2", "Terça", kind="list_reply", ts=1767225603, id="wamid.L1"),
        *(
            wb.inbound_media(kind, ts=1767225604 + i, id=f"wamid.M{i}")
            for i, kind in enumerate(["image", "audio", "video", "document", "sticker"])
        ),
        wb.inbound_reaction("wamid.T1", ts=1767225610, id="wamid.R1"),
        wb.inbound_location(ts=1767225611, id="wamid.LOC"),
        wb.inbound_contacts(ts=1767225612, id="wamid.C1"),
        wb.inbound_order(ts=1767225613, id="wamid.O1"),
        wb.inbound_system(ts=1767225614, id="wamid.S1"),
        wb.inbound_unsupported(ts=1767225615, id="wamid.U1"),
    ]
    async with webhook_daemon(daemon_dir) as (daemon, client):
        await deliver(daemon, client, *changes)
        await deliver(daemon, client, *changes)  # Meta redelivers: nothing changes
        rows = {r["wamid"]: r for r in query(daemon, "SELECT * FROM inbound_messages")}
        assert len(rows) == 15
        assert {r["type"] for r in rows.values()} == {
            "text",
            "button",
            "interactive",
            "image",
            "audio",
            "video",
            "document",
            "sticker",
            "reaction",
            "location",
            "contacts",
            "order",
            "system",
            "unsupported",
        }
        text = rows["wamid.T1"]
        assert (text["wa_id"], text["profile_name"], text["ts"], text["text_body"]) == (
            WA,
            "Ana",
            1767225600,
            "Oi, tudo bem?",
        )
        button = rows["wamid.B1"]
        assert (button["reply_payload"], button["reply_title"], button["context_id"]) == (
            "CONFIRM:apt-1",
            "Confirmar",
            template_wamid,
        )
        assert rows["wamid.I1"]["reply_payload"] == "opt_yes"
        assert rows["wamid.L1"]["reply_title"] == "Terça"
        assert rows["wamid.M3"]["text_body"] == "uma document"
        assert rows["wamid.R1"]["text_body"] == "👍"
        assert json.loads(rows["wamid.U1"]["errors_json"])[0]["code"] == 131051
        ledger = query(daemon, "SELECT * FROM conversations WHERE wa_id = ?", WA)[0]
        assert ledger["inbound_count"] == 15
        assert ledger["last_inbound_at"] == 1767225615
        assert ledger["last_inbound_wamid"] == "wamid.U1"


async def test_statuses_move_forward_only_whatever_the_order(daemon_dir: Path) -> None:
    rng = random.Random(7)
    async with webhook_daemon(daemon_dir) as (daemon, client):
        _add_message(daemon.storage.path, "job-1", "wamid.OUT1", state="sending")
        changes = [
            wb.status("wamid.OUT1", s, ts=1767225800 + i)
            for i, s in enumerate(["sent", "delivered", "read"])
        ]
        deliveries = changes * 3
        rng.shuffle(deliveries)
        # Read before sent, and each body three times.
        deliveries.sort(key=lambda c: c["value"]["statuses"][0]["status"] != "read")
        for change in deliveries:
            await deliver(daemon, client, change)
        statuses = query(
            daemon,
            "SELECT status, outcome, ignored_reason FROM message_statuses "
            "WHERE wamid = 'wamid.OUT1' ORDER BY status",
        )
        assert statuses == [
            {"status": "delivered", "outcome": "ignored", "ignored_reason": "out_of_order"},
            {"status": "read", "outcome": "applied", "ignored_reason": None},
            {"status": "sent", "outcome": "ignored", "ignored_reason": "out_of_order"},
        ]
        assert query(daemon, "SELECT state FROM messages WHERE id='job-1'") == [{"state": "read"}]


async def test_in_order_statuses_all_apply(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        _add_message(daemon.storage.path, "job-2", "wamid.OUT2", state="sending")
        for i, s in enumerate(["sent", "delivered", "read"]):
            await deliver(daemon, client, wb.status("wamid.OUT2", s, ts=1767225800 + i))
        rows = query(
            daemon,
            "SELECT status, outcome, conversation_id, pricing_json FROM "
            "message_statuses WHERE wamid='wamid.OUT2' ORDER BY ts",
        )
        assert [r["outcome"] for r in rows] == ["applied"] * 3
        assert rows[0]["conversation_id"] == "c0ffee12"
        assert json.loads(rows[0]["pricing_json"])["pricing_model"] == "PMP"


async def test_failed_status_keeps_errors_and_only_before_delivery(daemon_dir: Path) -> None:
    error = wb.graph_error(131047, "Re-engagement message", "More than 24 hours have passed")
    async with webhook_daemon(daemon_dir) as (daemon, client):
        _add_message(daemon.storage.path, "job-f", "wamid.F1", state="sent")
        _add_message(daemon.storage.path, "job-d", "wamid.D1", state="delivered")
        await deliver(
            daemon,
            client,
            wb.status("wamid.F1", "failed", errors=[error]),
            wb.status("wamid.D1", "failed", errors=[error]),
        )
        states = {r["id"]: r["state"] for r in query(daemon, "SELECT id, state FROM messages")}
        assert states == {"job-f": "failed", "job-d": "delivered"}
        failed = query(daemon, "SELECT * FROM message_statuses WHERE wamid='wamid.F1'")[0]
        assert json.loads(failed["errors_json"])[0] == {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "details": "More than 24 hours have passed",
        }
        late = query(daemon, "SELECT ignored_reason FROM message_statuses WHERE wamid='wamid.D1'")
        assert late == [{"ignored_reason": "failed_after_delivery"}]


async def test_callback_data_links_a_status_to_a_job_without_wamid(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        _add_message(daemon.storage.path, "job-unsure", None, state="uncertain")
        await deliver(
            daemon, client, wb.status("wamid.LATE", "delivered", callback_data="job-unsure")
        )
        row = query(daemon, "SELECT state, wamid FROM messages WHERE id='job-unsure'")[0]
        assert row == {"state": "delivered", "wamid": "wamid.LATE"}
        status = query(daemon, "SELECT outcome, ignored_reason, message_id FROM message_statuses")
        assert status == [
            {"outcome": "applied", "ignored_reason": "outcome_resolved", "message_id": "job-unsure"}
        ]


async def test_status_for_an_unknown_wamid_waits_for_its_message(daemon_dir: Path) -> None:
    from datetime import UTC, datetime

    from recado.storage.webhook_apply import apply_pending_statuses

    async with webhook_daemon(daemon_dir) as (daemon, client):
        await deliver(
            daemon,
            client,
            wb.status("wamid.EARLY", "sent", ts=1767225800),
            wb.status("wamid.EARLY", "delivered", ts=1767225801),
        )
        pending = query(daemon, "SELECT outcome FROM message_statuses WHERE wamid='wamid.EARLY'")
        assert pending == [{"outcome": "pending"}, {"outcome": "pending"}]

        def record_wamid(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO messages(id, kind, state, created_at, updated_at) "
                "VALUES ('job-e', 'appointment_created', 'sending', 'x', 'x')"
            )
            conn.execute("UPDATE messages SET wamid = 'wamid.EARLY' WHERE id = 'job-e'")
            return apply_pending_statuses(conn, "job-e", "wamid.EARLY", datetime.now(UTC))

        assert await daemon.storage.write(record_wamid) == 2
        assert query(daemon, "SELECT state FROM messages WHERE id='job-e'") == [
            {"state": "delivered"}
        ]


async def test_echoes_and_history_never_open_the_window(daemon_dir: Path) -> None:
    other = "5521999990000"
    async with webhook_daemon(daemon_dir) as (daemon, client):
        now_ts = int(daemon.clock.now().timestamp())
        await deliver(
            daemon,
            client,
            wb.echo("Já estou indo", to=other, ts=now_ts - 60, id="wamid.E1"),
            wb.history_chunk(thread=other, ts=now_ts - 3600),
            wb.history_media_followup(wa_id=other, ts=now_ts - 120),
            wb.state_sync(number="+" + other),
        )
        url = f"{daemon.listeners['operator'].url}/conversations/{other}.json"
        data = (await client.get(url)).json()
        assert data["window"] == {
            "open": False,
            "reason": "no_inbound",
            "last_inbound_at": None,
            "expires_at": None,
        }
        assert data["ledger"]["echo_count"] == 1
        assert data["activity"][0]["direction"] == "outbound_by_app"
        assert query(daemon, "SELECT COUNT(*) AS n FROM inbound_messages") == [{"n": 0}]
        kinds = [r["kind"] for r in query(daemon, "SELECT kind FROM webhook_records ORDER BY seq")]
        assert kinds == ["history", "history", "state_sync"]

        # A real client message opens it, measured from Meta's own timestamp.
        await deliver(daemon, client, wb.inbound_text("oi", wa_id=other, ts=now_ts - 600))
        data = (await client.get(url)).json()
        assert data["window"]["open"] is True
        assert data["window"]["last_inbound_at"] == iso(
            daemon.clock.now().fromtimestamp(now_ts - 600, daemon.clock.now().tzinfo)
        )
        # A retried old message delivered late does not move last_inbound back.
        await deliver(daemon, client, wb.inbound_text("velha", wa_id=other, ts=now_ts - 90000))
        again = (await client.get(url)).json()
        assert again["window"]["last_inbound_at"] == data["window"]["last_inbound_at"]


async def test_window_closes_24h_after_the_last_inbound(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        now_ts = int(daemon.clock.now().timestamp())
        await deliver(daemon, client, wb.inbound_text("oi", ts=now_ts - 24 * 3600 - 5))
        url = f"{daemon.listeners['operator'].url}/conversations/{WA}.json"
        window = (await client.get(url)).json()["window"]
        assert window["open"] is False
        assert window["reason"] == "window_closed"
        page = await client.get(f"{daemon.listeners['operator'].url}/conversations/{WA}")
        assert "Janela de 24 h fechada" in page.text


async def test_other_fields_are_kept_verbatim(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        await deliver(
            daemon,
            client,
            wb.template_status("PAUSED", reason="NONE"),
            wb.quality_update(),
            wb.unknown_field(),
            wb.value_errors(),
            wb.history_declined(),
        )
        records = query(
            daemon, "SELECT kind, field, summary, data_json FROM webhook_records ORDER BY seq"
        )
        assert [(r["kind"], r["field"]) for r in records] == [
            ("template_status", "message_template_status_update"),
            ("other", "phone_number_quality_update"),
            ("other", "some_future_field"),
            ("value_errors", "messages"),
            ("history", "history"),
        ]
        assert records[0]["summary"] == "aviso_de_agendamento (pt_BR): PAUSED — NONE"
        assert json.loads(records[2]["data_json"]) == {
            "anything": [1, 2, 3],
            "nested": {"ok": True},
        }
        assert records[4]["summary"] == "history not shared (error 2593109)"
        assert query(daemon, "SELECT COUNT(*) AS n FROM webhook_inbox WHERE error IS NOT NULL") == [
            {"n": 0}
        ]


async def test_malformed_item_does_not_stop_the_rest(daemon_dir: Path) -> None:
    broken = wb.status("wamid.X", "sent")
    del broken["value"]["statuses"][0]["id"]
    async with webhook_daemon(daemon_dir) as (daemon, client):
        await deliver(daemon, client, broken, wb.inbound_text("ainda chega", id="wamid.OK"))
        assert query(daemon, "SELECT wamid FROM inbound_messages") == [{"wamid": "wamid.OK"}]
        bad = query(daemon, "SELECT kind, summary FROM webhook_records")
        assert bad == [
            {
                "kind": "bad_item",
                "summary": "entry[0].changes[0].value.statuses[0]: missing id, status or timestamp",
            }
        ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"object": "page", "entry": []}', "wrong_object"),
        (b'{"object": "whatsapp_business_account"}', "missing_entry"),
        (b'{"object": "whatsapp_business_account", "entry": {"id": "1"}}', "missing_entry"),
        (b'{"object": "whatsapp_business_account", "entry": [Infinity]}', "invalid_json"),
    ],
)
async def test_bad_envelopes_are_400_and_kept(daemon_dir: Path, raw: bytes, code: str) -> None:
    from recado.whatsapp.signature import sign

    async with webhook_daemon(daemon_dir) as (daemon, client):
        response = await client.post(
            f"{daemon.listeners['public'].url}/webhooks/whatsapp",
            content=raw,
            headers={"X-Hub-Signature-256": sign(APP_SECRET, raw)},
        )
        assert response.status_code == 400
        assert response.json()["error"] == code
        assert query(daemon, "SELECT reason, body FROM webhook_rejects") == [
            {"reason": code, "body": raw}
        ]
        assert query(daemon, "SELECT COUNT(*) AS n FROM webhook_inbox") == [{"n": 0}]


async def test_a_malformed_entry_or_undecodable_value_costs_only_its_own_item(
    daemon_dir: Path,
) -> None:
    """The envelope decides only that it is a WhatsApp body: an entry that is not one, or
    values msgspec cannot decode (5000 digits, 1e400, a lone surrogate), are set aside
    item by item on the webhooks page and the good message applies."""
    from recado.whatsapp.signature import sign

    good = json.dumps(wb.inbound_text("chega", id="wamid.OK"))
    bad_message = (
        '{"from": "5511987654321", "id": "wamid.BAD", "timestamp": "1767225600", '
        '"type": "text", "text": {"body": "\\ud800"}}'
    )
    raw = (
        '{"object": "whatsapp_business_account", "entry": [{"id": "1"}, "x", '
        '{"changes": [{"field": "messages", "value": {"messages": [' + bad_message + ", "
        '{"id": "wamid.B2", "from": "1", "timestamp": ' + "9" * 5000 + "}], "
        '"statuses": [{"id": "wamid.B3", "status": "read", "timestamp": 1e400}]}}, ' + good + "]}]}"
    ).encode()
    async with webhook_daemon(daemon_dir) as (daemon, client):
        response = await client.post(
            f"{daemon.listeners['public'].url}/webhooks/whatsapp",
            content=raw,
            headers={"X-Hub-Signature-256": sign(APP_SECRET, raw)},
        )
        assert response.status_code == 200, response.text
        await daemon.commands.webhooks.drain()
        assert query(daemon, "SELECT wamid FROM inbound_messages") == [{"wamid": "wamid.OK"}]
        assert query(daemon, "SELECT processed_at IS NOT NULL AS done FROM webhook_inbox") == [
            {"done": 1}
        ]
        page = (await client.get(f"{daemon.listeners['operator'].url}/webhooks.json")).json()
        summaries = sorted(s["summary"] for s in page["set_aside"])
        assert summaries == [
            'entry[0]: no "changes" list',
            "entry[1]: not an object",
            "entry[2].changes[0].value.messages[0].text.body: unreadable value: text with a "
            "lone surrogate (\\ud800)",
            "entry[2].changes[0].value.messages[1].timestamp: unreadable value: an integer "
            "of 5000 digits",
            "entry[2].changes[0].value.statuses[0].timestamp: unreadable value: a number out "
            "of range (1e400)",
        ]


async def test_signatures_and_size_are_checked_before_anything_is_stored(daemon_dir: Path) -> None:
    body = wb.encode(wb.envelope([wb.inbound_text()]))
    async with webhook_daemon(daemon_dir) as (daemon, client):
        url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
        cases = [
            ({}, "the X-Hub-Signature-256 header is missing"),
            ({"X-Hub-Signature-256": ""}, "the X-Hub-Signature-256 header is missing"),
            (
                {"X-Hub-Signature-256": "sha1=abc"},
                "the X-Hub-Signature-256 header is not 'sha256=<hex>'",
            ),
            (
                {"X-Hub-Signature-256": "sha256=" + "0" * 64},
                "the X-Hub-Signature-256 does not match the body",
            ),
        ]
        for headers, detail in cases:
            response = await client.post(url, content=body, headers=headers)
            assert response.status_code == 401
            assert response.json() == {"error": "bad_signature", "detail": detail}
        huge = b'{"object":"whatsapp_business_account","entry":[' + b" " * 5_000_000 + b"]}"
        response = await client.post(url, content=huge)
        assert response.status_code == 413
        assert response.json()["error"] == "request_entity_too_large"
        assert query(daemon, "SELECT COUNT(*) AS n FROM webhook_inbox") == [{"n": 0}]
        assert query(daemon, "SELECT COUNT(*) AS n FROM webhook_rejects") == [{"n": 0}]
        dashboard = (await client.get(f"{daemon.listeners['operator'].url}/dashboard.json")).json()
        assert dashboard["webhooks"]["signature_failures"] == 4
        metrics = (await client.get(f"{daemon.listeners['operator'].url}/metrics")).text
        assert 'recado_webhook_requests_total{outcome="bad_signature"} 4.0' in metrics


async def test_failed_item_is_set_aside_shown_and_replayed_after_the_fix(daemon_dir: Path) -> None:
    """One item that cannot apply no longer fails its body (issue 10): it is kept aside with
    its error, its neighbours apply, and a replay after the fix applies it."""
    async with webhook_daemon(daemon_dir) as (daemon, client):
        db = daemon.storage.path
        # A condition outside the code that makes applying one item fail (as a bug would).
        with sqlite3.connect(db) as conn:
            conn.execute(
                "CREATE TRIGGER poison BEFORE INSERT ON inbound_messages "
                "WHEN NEW.wamid = 'wamid.POISON' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
            )
        await deliver(
            daemon,
            client,
            wb.inbound_text("veneno", id="wamid.POISON"),
            wb.inbound_text("junto", id="wamid.BESIDE"),
        )
        await deliver(daemon, client, wb.inbound_text("depois", id="wamid.AFTER"))
        assert {r["wamid"] for r in query(daemon, "SELECT wamid FROM inbound_messages")} == {
            "wamid.BESIDE",
            "wamid.AFTER",
        }
        op = daemon.listeners["operator"].url
        failed = (await client.get(f"{op}/webhooks.json", params={"state": "failed"})).json()
        assert failed["items"] == []
        (aside,) = failed["set_aside"]
        assert aside["kind"] == "item_failed" and aside["field"] == "messages"
        assert aside["summary"] == (
            "entry[0].changes[0].value.messages[0]: IntegrityError: poisoned row"
        )
        page = (await client.get(f"{op}/webhooks")).text
        assert "IntegrityError: poisoned row" in page and "falhou ao aplicar" in page
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TRIGGER poison")
        headers = {"X-API-Key": daemon.api_key}
        result = await client.post(
            f"{op}/webhooks/replay", json={"id": aside["inbox_id"]}, headers=headers
        )
        assert result.json() == {"bodies": 1, "failed": 0}
        assert {r["wamid"] for r in query(daemon, "SELECT wamid FROM inbound_messages")} == {
            "wamid.POISON",
            "wamid.BESIDE",
            "wamid.AFTER",
        }
        assert (await client.get(f"{op}/webhooks.json")).json()["set_aside"] == []


async def test_replay_twice_changes_nothing(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        _add_message(daemon.storage.path, "job-r", "wamid.R", state="sending")
        await deliver(
            daemon,
            client,
            wb.inbound_text("a"),
            wb.inbound_button("TALK:1", "Falar"),
            wb.status("wamid.R", "sent"),
            wb.echo(),
            wb.history_chunk(),
            wb.template_status(),
            wb.unknown_field(),
        )
        await deliver(
            daemon, client, wb.status("wamid.R", "read"), wb.status("wamid.R", "delivered")
        )
        before = dump_tables(daemon.storage.path)
        op = daemon.listeners["operator"].url
        headers = {"X-API-Key": daemon.api_key}
        for _ in range(2):
            result = await client.post(f"{op}/webhooks/replay", json={}, headers=headers)
            assert result.json() == {"bodies": 2, "failed": 0}
            assert dump_tables(daemon.storage.path) == before
        refused = await client.post(f"{op}/webhooks/replay", json={})
        assert refused.status_code == 401
        bad = await client.post(
            f"{op}/webhooks/replay", json={"since": "yesterday"}, headers=headers
        )
        assert bad.status_code == 422
        assert bad.json()["detail"] == "since: expected an RFC 3339 time with an offset"


async def test_webhooks_page_lists_recent_bodies(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        await deliver(daemon, client, wb.inbound_text())
        await deliver(daemon, client, wb.template_status())
        op = daemon.listeners["operator"].url
        items = (await client.get(f"{op}/webhooks.json")).json()["items"]
        assert [i["field"] for i in items] == ["message_template_status_update", "messages"]
        assert all(
            i["signature_ok"] is True and i["processed_at"] and i["error"] is None for i in items
        )
        page = await client.get(f"{op}/webhooks")
        assert "message_template_status_update" in page.text


async def test_unsigned_bodies_are_accepted_only_without_an_app_secret(daemon_dir: Path) -> None:
    from tests.conftest import running_daemon

    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        body = wb.encode(wb.envelope([wb.inbound_text()]))
        response = await client.post(
            f"{daemon.listeners['public'].url}/webhooks/whatsapp", content=body
        )
        assert response.status_code == 200
        assert query(daemon, "SELECT signature_ok FROM webhook_inbox") == [{"signature_ok": None}]
        dashboard = (await client.get(f"{daemon.listeners['operator'].url}/dashboard.json")).json()
        # In dry_run nothing real is sent: a notice, not a degradation (issue: first run).
        assert dashboard["status"] == "healthy"
        notice = next(r for r in dashboard["reasons"] if r["code"] == "no_app_secret")
        assert notice["severity"] == "info"
