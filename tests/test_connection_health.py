"""The connection's health against the Graph double: the token checked at start and daily,
a 190 on a send, Meta's account updates, the number's quality, the coexistence syncs and
their deadline, and the spec's alert rules (WHATSAPP.md §9-§11)."""

from __future__ import annotations

import json
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.clock import TrioClock
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.signup_double import COEXISTENCE, NEW_NUMBER, account_update, quality_update
from tests.conftest import running_daemon
from tests.signup_helpers import (
    connect,
    key,
    op,
    real_pause,
    signup_double,
    signup_stack,
    signup_toml,
    start,
    status,
    until,
)
from tests.test_sender import book, notice, notice_reaches
from tests.webhook_helpers import post_body, query, write_secrets


async def _dashboard(daemon: Daemon, client: httpx.AsyncClient) -> dict[str, Any]:
    data: dict[str, Any] = (await client.get(op(daemon, "/dashboard.json"))).json()
    return data


def _alerts(daemon: Daemon, code: str) -> list[dict[str, Any]]:
    return query(
        daemon,
        "SELECT severity, code, text_pt, text_en, resolved_at FROM alerts WHERE code = ? "
        "ORDER BY id",
        code,
    )


def _steps(daemon: Daemon, cid: int) -> list[dict[str, Any]]:
    return query(
        daemon,
        "SELECT step, outcome, code, detail FROM whatsapp_connection_steps "
        "WHERE connection_id = ? ORDER BY id",
        cid,
    )


async def _account(
    daemon: Daemon, client: httpx.AsyncClient, change: dict[str, Any], ts: int
) -> None:
    body = wb.envelope([change], waba_id=NEW_NUMBER.waba_id)
    body["entry"][0]["time"] = ts
    answer = await post_body(daemon, client, body)
    assert answer.status_code == 200, answer.text
    await daemon.commands.webhooks.drain()


async def test_an_invalid_token_at_start_is_an_error_that_pauses_sending(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        cid = (await connect(daemon, double, client))["connection_id"]
    token = double.signup.token_for(NEW_NUMBER)
    assert token is not None
    double.signup.tokens[token].valid = False
    async with signup_stack(daemon_dir, double=double) as (daemon, _, client):
        now = await until(
            lambda: (
                (r := query(daemon, "SELECT status FROM whatsapp_connections"))
                and r[0]["status"] == "error"
            ),
            "the start's check marks the connection in error",
        )
        assert now
        record = (await status(daemon, client))["connection"]
        assert record["token_valid"] is False
        # Whichever call meets the dead token first says so: the start's check (Meta's
        # verdict) or the template sync's 190; both name the token and what to do.
        reason = record["reason_pt"]
        assert "o app foi removido da conta" in reason or "o token é inválido" in reason, reason
        assert daemon.sending_paused is not None
        dash = await _dashboard(daemon, client)
        assert dash["status"] == "critical"
        assert "whatsapp_connection" in [r["code"] for r in dash["reasons"]]
        assert dash["whatsapp"]["connected"] is False
        alert = _alerts(daemon, "whatsapp_connection")
        assert alert and alert[0]["severity"] == "critical"
        await book(daemon, client)
        await real_pause(0.3)
        assert notice(daemon)["state"] == "queued"  # waits; nothing sent with a dead token
        assert double.sends() == []
        assert ("health", "failed") in [(s["step"], s["outcome"]) for s in _steps(daemon, cid)]


async def test_a_190_463_on_a_send_puts_the_connection_in_error(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        cid = (await connect(daemon, double, client))["connection_id"]
        double.fail_next(1, 190, http_status=401, subcode=463)
        await book(daemon, client)
        await notice_reaches(daemon, "failed")
        record = await until(
            lambda: (
                (r := query(daemon, "SELECT * FROM whatsapp_connections WHERE id = ?", cid))
                and r[0]["status"] == "error"
                and r[0]
            ),
            "the connection in error",
        )
        assert record["error_step"] == "send"
        assert "o token expirou" in record["reason_pt"]
        assert daemon.sending_paused is not None
        assert (await _dashboard(daemon, client))["status"] == "critical"
        assert _alerts(daemon, "whatsapp_auth")[0]["severity"] == "critical"
        await book(daemon, client, apt="apt-2")
        await real_pause(0.3)
        assert len(double.sends()) == 1
        # A new signup resumes sending with the new token.
        await connect(daemon, double, client)
        await until(lambda: len(double.sends()) == 2, "the waiting job goes out")
        assert daemon.sending_paused is None


async def test_an_expiry_within_7_days_warns_and_the_daily_check_runs(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    t0 = datetime.now(UTC)
    async with signup_stack(daemon_dir, clock=TrioClock(t0)) as (daemon, double, client):
        body = await connect(daemon, double, client)
        cid = body["connection_id"]
        token = double.signup.token_for(NEW_NUMBER)
        assert token is not None
        double.signup.tokens[token].expires_at = int((t0 + timedelta(days=9)).timestamp())
        checks = double.signup.calls.count("debug_token")
        mock_clock.jump(23 * 3600)
        await real_pause(0.3)
        assert double.signup.calls.count("debug_token") == checks  # not daily yet
        mock_clock.jump(3600 + 31)
        await until(lambda: double.signup.calls.count("debug_token") == checks + 1, "daily check")
        await until(
            lambda: query(daemon, "SELECT token_expires_at FROM whatsapp_connections")[0][
                "token_expires_at"
            ],
            "expiry recorded",
        )
        assert _alerts(daemon, "whatsapp_token_expiring") == []  # 8 days left: no warning yet
        mock_clock.jump(24 * 3600 + 31)
        alerts = await until(lambda: _alerts(daemon, "whatsapp_token_expiring"), "a warning")
        assert alerts[0]["severity"] == "warning"
        assert "expira em" in alerts[0]["text_pt"]
        dash = await _dashboard(daemon, client)
        assert dash["status"] == "degraded"
        assert "whatsapp_token_expiring" in [r["code"] for r in dash["reasons"]]
        # Once: the next daily check does not raise it again.
        mock_clock.jump(24 * 3600 + 31)
        await until(lambda: double.signup.calls.count("debug_token") == checks + 3, "next check")
        await real_pause(0.2)
        assert len(_alerts(daemon, "whatsapp_token_expiring")) == 1
        assert (await status(daemon, client))["connection"]["id"] == cid


async def test_partner_removed_disconnects_says_why_and_replays_change_nothing(
    daemon_dir: Path,
) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        cid = (await connect(daemon, double, client))["connection_id"]
        ts = int(time.time())
        removed = account_update("PARTNER_REMOVED", reason="PRIMARY_INACTIVITY")
        await _account(daemon, client, removed, ts)
        now = await status(daemon, client)
        assert now["status"] == "disconnected"
        assert now["connection"]["reason_code"] == "PARTNER_REMOVED:PRIMARY_INACTIVITY"
        assert "14 dias sem ser aberto" in now["connection"]["reason_pt"]
        await until(lambda: daemon.sending_paused is not None, "sending paused")
        dash = await _dashboard(daemon, client)
        assert dash["status"] == "critical" and dash["whatsapp"]["connected"] is False
        assert _alerts(daemon, "whatsapp_connection")[0]["severity"] == "critical"
        audit = query(daemon, "SELECT action, source_ip FROM audit_log ORDER BY id DESC LIMIT 1")
        assert audit[0] == {
            "action": "whatsapp.connection.disconnected",
            "source_ip": "meta-webhook",
        }
        events = query(daemon, "SELECT name, properties_json FROM product_events ORDER BY id")
        assert events[-1]["name"] == "WhatsApp Disconnected"
        assert json.loads(events[-1]["properties_json"])["reason"].startswith("PARTNER_REMOVED")
        steps_before = len(_steps(daemon, cid))
        # Meta delivers it again, and an operator replays every body: nothing changes.
        await _account(daemon, client, removed, ts)
        result = await client.post(op(daemon, "/webhooks/replay"), json={}, headers=key(daemon))
        assert result.status_code == 200
        assert len(_steps(daemon, cid)) == steps_before
        assert len(_alerts(daemon, "whatsapp_connection")) == 1
        # An ACCOUNT_RECONNECTED older than the removal is history only; a newer one counts.
        await _account(daemon, client, account_update("ACCOUNT_RECONNECTED"), ts - 60)
        assert (await status(daemon, client))["status"] == "disconnected"
        await _account(daemon, client, account_update("ACCOUNT_RECONNECTED"), ts + 60)
        assert (await status(daemon, client))["status"] == "active"
        await until(lambda: daemon.sending_paused is None, "sending resumed")


async def test_offboarded_and_an_update_for_another_account(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        await connect(daemon, double, client)
        ts = int(time.time())
        await _account(daemon, client, account_update("ACCOUNT_OFFBOARDED", COEXISTENCE), ts)
        assert (await status(daemon, client))["status"] == "active"  # another WABA
        await _account(daemon, client, account_update("ACCOUNT_OFFBOARDED"), ts + 1)
        now = await status(daemon, client)
        assert now["status"] == "disconnected"
        assert "offboarding" in now["connection"]["reason_pt"]


async def test_quality_updates_are_shown_on_the_connection_page(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        await connect(daemon, double, client)
        await _account(daemon, client, quality_update(limit="TIER_10K"), int(time.time()))
        page = await client.get(op(daemon, "/connect/whatsapp"))
        assert "TIER_10K" in page.text and "THROUGHPUT_UPGRADE" in page.text
        data = (await client.get(op(daemon, "/connect/whatsapp.json"))).json()
        assert data["connection"]["messaging_limit"] == "TIER_10K"


async def test_a_transient_sync_failure_is_retried_until_it_succeeds(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with signup_stack(daemon_dir, clock=TrioClock(datetime.now(UTC))) as (
        daemon,
        double,
        client,
    ):
        double.signup.fail_next("smb_app_data", 2, 2, http_status=503, is_transient=True)
        cid = (await connect(daemon, double, client, COEXISTENCE))["connection_id"]
        await until(
            lambda: [s for s in _steps(daemon, cid) if s["outcome"] == "retry"],
            "a retry recorded",
        )
        assert double.signup.smb_requests == {}
        mock_clock.jump(31)
        await until(lambda: len(double.signup.smb_requests) == 2, "both syncs once retried")
        rows = query(daemon, "SELECT sync_type, status, attempts FROM whatsapp_smb_syncs")
        assert all(r["status"] == "done" for r in rows)
        assert sum(r["attempts"] for r in rows) == 4
        assert _alerts(daemon, "whatsapp_smb_sync_late") == []


async def test_a_190_on_a_coexistence_sync_loses_the_connection(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        double.signup.fail_next("smb_app_data", 1, 190, http_status=401, subcode=460)
        cid = (await connect(daemon, double, client, COEXISTENCE))["connection_id"]
        record = await until(
            lambda: (
                (r := query(daemon, "SELECT * FROM whatsapp_connections WHERE id = ?", cid))
                and r[0]["status"] == "error"
                and r[0]
            ),
            "the connection in error",
        )
        assert record["error_step"] == "smb_sync"
        assert "a senha foi trocada" in record["reason_pt"]
        assert daemon.sending_paused is not None
        assert [a["severity"] for a in _alerts(daemon, "whatsapp_connection")] == ["critical"]
        assert _alerts(daemon, "whatsapp_smb_sync_refused") == []
        assert ("smb_sync", "failed") in [(s["step"], s["outcome"]) for s in _steps(daemon, cid)]


async def test_syncs_not_done_within_20_hours_raise_an_alert(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with signup_stack(daemon_dir, clock=TrioClock(datetime.now(UTC))) as (
        daemon,
        double,
        client,
    ):
        double.signup.fail_next("smb_app_data", 1000, 2, http_status=503, is_transient=True)
        await connect(daemon, double, client, COEXISTENCE)
        for _ in range(19 * 2):
            mock_clock.jump(1800)
            await real_pause(0.02)
        await real_pause(0.2)
        assert _alerts(daemon, "whatsapp_smb_sync_late") == []
        for _ in range(3):
            mock_clock.jump(1800)
            await real_pause(0.05)
        alerts = await until(lambda: _alerts(daemon, "whatsapp_smb_sync_late"), "the 20 h alert")
        assert alerts[0]["severity"] == "critical"
        assert "smb_app_state_sync" in alerts[0]["text_pt"]
        page = await client.get(op(daemon, "/connect/whatsapp"))
        assert "pendente" in page.text


async def test_the_alert_rules_of_the_signup(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with signup_stack(daemon_dir, clock=TrioClock(datetime.now(UTC))) as (
        daemon,
        double,
        client,
    ):
        # Callbacks not processed: a signup started whose page never came back.
        await start(daemon, client)
        mock_clock.jump(601)
        daemon.after_commit("connection")
        unprocessed = await until(
            lambda: _alerts(daemon, "whatsapp_signup_unprocessed"), "the unprocessed alert"
        )
        assert "não voltaram ao recado" in unprocessed[0]["text_pt"]
        # More than 20 % of the signups of the last hour failed.
        await connect(daemon, double, client)
        await connect(daemon, double, client)
        await connect(daemon, double, client)
        await connect(daemon, double, client)
        double.signup.fail_next("subscribe", 1, 100)
        state = await start(daemon, client)
        await client.post(
            op(daemon, "/api/v1/whatsapp/embedded-signup/callback"),
            json={
                "code": double.signup.issue_code(NEW_NUMBER),
                "state": state,
                "waba_id": NEW_NUMBER.waba_id,
                "phone_number_id": NEW_NUMBER.phone_number_id,
            },
            headers=key(daemon),
        )
        await real_pause(0.3)
        assert _alerts(daemon, "whatsapp_signup_error_rate") == []  # 1 of 5: 20 %, not over
        double.signup.fail_next("subscribe", 1, 100)
        state = await start(daemon, client)
        await client.post(
            op(daemon, "/api/v1/whatsapp/embedded-signup/callback"),
            json={
                "code": double.signup.issue_code(NEW_NUMBER),
                "state": state,
                "waba_id": NEW_NUMBER.waba_id,
            },
            headers=key(daemon),
        )
        rate = await until(lambda: _alerts(daemon, "whatsapp_signup_error_rate"), "rate alert")
        assert "33%" in rate[0]["text_pt"] and rate[0]["resolved_at"] is None
        # An hour later the window holds nothing: the alert resolves.
        mock_clock.jump(3601)
        await until(
            lambda: _alerts(daemon, "whatsapp_signup_error_rate")[0]["resolved_at"],
            "the rate alert resolved",
        )


async def test_a_signup_cut_by_a_crash_becomes_an_error_with_an_alert(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    """Callbacks not processed: the daemon is killed (-9) in the middle of a signup; the
    next start finds the connection still ``connecting`` and says it was interrupted."""
    write_secrets(daemon_dir)
    double = signup_double()
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        config = write_config(daemon_dir, signup_toml(double))
        process = await trio.to_thread.run_sync(
            lambda: DaemonProcess(config, test_hooks=False).start()
        )
        key_header = {"X-API-Key": (process.data_dir / "api_key").read_text().strip()}
        double.signup.hang_next("subscribe")
        async with httpx.AsyncClient() as client:
            started = await client.post(
                f"{process.operator_url}/api/v1/whatsapp/embedded-signup/start",
                headers=key_header,
            )
            body = {
                "code": double.signup.issue_code(NEW_NUMBER),
                "state": started.json()["state"],
                "waba_id": NEW_NUMBER.waba_id,
                "phone_number_id": NEW_NUMBER.phone_number_id,
            }

            async def post_callback() -> None:
                with suppress(httpx.HTTPError):
                    await client.post(
                        f"{process.operator_url}/api/v1/whatsapp/embedded-signup/callback",
                        json=body,
                        headers=key_header,
                    )

            nursery.start_soon(post_callback)
            await until(lambda: "subscribe" in double.signup.calls, "the flow reached subscribe")
            process.kill()
        later = TrioClock(datetime.now(UTC) + timedelta(minutes=3))
        async with running_daemon(
            daemon_dir, signup_toml(double), test_hooks=False, clock=later
        ) as daemon:
            row = await until(
                lambda: (
                    (r := query(daemon, "SELECT * FROM whatsapp_connections"))
                    and r[0]["status"] == "error"
                    and r[0]
                ),
                "the interrupted signup marked in error",
            )
            assert row["reason_code"] == "interrupted"
            assert "interrompido" in row["reason_pt"]
            alert = _alerts(daemon, "whatsapp_signup_unprocessed")
            assert alert and "interrompido" in alert[0]["text_pt"]
            events = query(daemon, "SELECT name, properties_json FROM product_events")
            assert json.loads(events[-1]["properties_json"])["error_code"] == "interrupted"
        nursery.cancel_scope.cancel()
