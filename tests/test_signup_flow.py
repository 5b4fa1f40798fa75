"""Embedded Signup end to end: the real daemon, the Graph double over HTTP, every step of the
flow and every way a step fails (WHATSAPP.md §9, CONTRACT §9)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from recado.clock import TrioClock
from recado.config import ConfigError, load_config
from recado.http.connect_data import ConnectPage
from recado.runtime.connection_commands import ConnectionStatus
from recado.runtime.context import Daemon
from recado.testing.graph_double import GraphDouble
from recado.testing.signup_double import COEXISTENCE, NEW_NUMBER, Account
from tests.conftest import running_daemon
from tests.signup_helpers import (
    callback,
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
from tests.test_page_shapes import same_shape
from tests.test_sender import book, notice_reaches
from tests.webhook_helpers import query, write_secrets


def _hints(account: Account = NEW_NUMBER) -> dict[str, str]:
    return {"waba_id": account.waba_id, "phone_number_id": account.phone_number_id}


def _steps(daemon: Daemon, connection_id: int) -> list[tuple[str, str]]:
    rows = query(
        daemon,
        "SELECT step, outcome FROM whatsapp_connection_steps WHERE connection_id = ? ORDER BY id",
        connection_id,
    )
    return [(r["step"], r["outcome"]) for r in rows]


def _events(daemon: Daemon) -> list[tuple[str, dict[str, Any]]]:
    rows = query(daemon, "SELECT name, properties_json FROM product_events ORDER BY id")
    return [(r["name"], json.loads(r["properties_json"])) for r in rows]


async def _dashboard(daemon: Daemon, client: httpx.AsyncClient) -> dict[str, Any]:
    data: dict[str, Any] = (await client.get(op(daemon, "/dashboard.json"))).json()
    return data


async def test_a_new_number_connects_and_the_code_is_exchanged_first(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        state = await start(daemon, client)
        double.signup.calls.clear()
        code = double.signup.issue_code(NEW_NUMBER)
        answer = await callback(daemon, client, code, state, **_hints())
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["success"] is True and body["status"] == "active"
        assert body["connection"]["display_phone_number"] == NEW_NUMBER.display_phone_number
        assert body["connection"]["business_name"] == NEW_NUMBER.verified_name
        # The code first; the subscription before the number is registered.
        assert double.signup.calls == [
            "oauth",
            "debug_token",
            "phone_numbers",
            "subscribe",
            "register",
        ]
        # The PIN recado made, shown this once, is the one Meta registered.
        assert len(body["pin"]) == 6 and body["pin"].isdigit()
        assert double.signup.registered[NEW_NUMBER.phone_number_id] == body["pin"]
        assert double.signup.subscribed[NEW_NUMBER.waba_id]["plain"] is True
        now = await status(daemon, client)
        assert now["status"] == "active" and now["source"] == "connection"
        assert body["pin"] not in json.dumps(now)
        assert _steps(daemon, body["connection_id"]) == [
            ("state", "ok"),
            ("exchange_code", "ok"),
            ("debug_token", "ok"),
            ("phone_numbers", "ok"),
            ("subscribe", "ok"),
            ("register", "ok"),
            ("connected", "ok"),
        ]
        audit = query(daemon, "SELECT action, source_ip, detail_json FROM audit_log ORDER BY id")
        assert [a["action"] for a in audit] == [
            "whatsapp.signup_started",
            "whatsapp.connection.connecting",
            "whatsapp.connection.active",
        ]
        assert all(a["source_ip"] == "127.0.0.1" for a in audit)
        assert json.loads(audit[-1]["detail_json"])["status"] == "active"
        events = _events(daemon)
        assert [name for name, _ in events] == [
            "Embedded Signup Started",
            "Embedded Signup Completed",
        ]
        completed = events[-1][1]
        assert completed["waba_id"] == NEW_NUMBER.waba_id
        assert completed["has_existing_number"] is False
        assert completed["time_to_complete_seconds"] >= 0
        dash = await _dashboard(daemon, client)
        assert dash["whatsapp"]["connected"] is True
        assert dash["whatsapp"]["connection"] == "active"


async def test_a_pin_from_register_pin_file_is_registered_and_never_shown(
    daemon_dir: Path,
) -> None:
    write_secrets(daemon_dir)
    (daemon_dir / "pin").write_text("246810\n")
    async with signup_stack(daemon_dir, 'register_pin_file = "pin"\n') as (
        daemon,
        double,
        client,
    ):
        body = await connect(daemon, double, client)
        assert body["status"] == "active"
        assert double.signup.registered[NEW_NUMBER.phone_number_id] == "246810"
        assert "pin" not in body  # the studio already knows its own PIN
        (row,) = query(
            daemon,
            "SELECT pin_source, pin_ct FROM whatsapp_connections WHERE id = ?",
            body["connection_id"],
        )
        assert row["pin_source"] == "file" and b"246810" not in bytes(row["pin_ct"])
        (step,) = query(
            daemon,
            "SELECT detail FROM whatsapp_connection_steps WHERE step = 'register'",
        )
        assert step["detail"] == "the PIN of whatsapp.register_pin_file"
        page = (await client.get(op(daemon, "/connect/whatsapp"))).text
        assert "246810" not in page and "PIN do arquivo whatsapp.register_pin_file" in page


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_a_register_pin_that_is_not_6_digits_refuses_the_config(tmp_path: Path, pin: str) -> None:
    write_secrets(tmp_path)
    (tmp_path / "pin").write_text(pin + "\n", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(
        "[whatsapp]\n" + signup_toml(signup_double(), 'register_pin_file = "pin"\n'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "whatsapp.register_pin_file: the PIN is not 6 digits" in str(info.value)


async def test_coexistence_with_only_the_waba_skips_register_and_requests_both_syncs(
    daemon_dir: Path,
) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        body = await connect(daemon, double, client, COEXISTENCE)
        assert "pin" not in body
        assert body["connection"]["coexistence"] is True
        assert body["connection"]["phone_number_id"] == COEXISTENCE.phone_number_id
        assert "register" not in double.signup.calls
        await until(lambda: len(double.signup.smb_requests) == 2, "both syncs requested")
        sql = "SELECT sync_type, status, request_id FROM whatsapp_smb_syncs WHERE status = 'done'"
        rows = await until(lambda: (r := query(daemon, sql)) and len(r) == 2 and r, "both done")
        assert sorted(r["sync_type"] for r in rows) == ["history", "smb_app_state_sync"]
        assert all(r["request_id"] for r in rows)
        assert ("register", "skipped") in _steps(daemon, body["connection_id"])


@pytest.mark.parametrize(
    ("step", "code", "words"),
    [
        ("subscribe", 100, "inscrição do app na conta"),
        ("register", 133005, "PIN de verificação em duas etapas não confere"),
        ("phone_numbers", 200, "consulta dos números"),
        ("oauth", 101, "troca do código pelo token"),
    ],
)
async def test_a_refused_step_leaves_the_connection_in_error_never_connected(
    daemon_dir: Path, step: str, code: int, words: str
) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        double.signup.fail_next(step, 1, code, message=f"refused by the double ({code})")
        state = await start(daemon, client)
        answer = await callback(
            daemon, client, double.signup.issue_code(NEW_NUMBER), state, **_hints()
        )
        assert answer.status_code == 502
        body = answer.json()
        assert body["error"] == "signup_failed" and words in body["message"]
        now = await status(daemon, client)
        assert now["status"] == "error"
        assert words in now["connection"]["reason_pt"]
        assert str(code) in now["connection"]["reason_pt"]
        dash = await _dashboard(daemon, client)
        assert dash["whatsapp"]["connected"] is False
        assert dash["whatsapp"]["connection"] == "error"
        assert ("connected", "ok") not in _steps(daemon, body["connection_id"])
        failed = [e for e in _events(daemon) if e[0] == "Embedded Signup Failed"]
        assert failed and failed[0][1]["error_code"] == str(code)
        assert failed[0][1]["step_failed"] in (step, "exchange_code")
        audit = query(daemon, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")
        assert audit[0]["action"] == "whatsapp.connection.error"
        # Nothing goes out with a connection in error: real sends have no token.
        assert daemon.whatsapp_credentials() is None


async def test_the_override_is_set_only_after_the_plain_subscription(daemon_dir: Path) -> None:
    extra = 'override_callback_uri = "https://studio.example/webhooks/whatsapp"\n'
    async with signup_stack(daemon_dir, extra) as (daemon, double, client):
        await connect(daemon, double, client)
        assert double.signup.calls.count("subscribe") == 2
        assert double.signup.subscribed[NEW_NUMBER.waba_id] == {
            "plain": True,
            "override": "https://studio.example/webhooks/whatsapp",
        }


async def test_the_double_refuses_an_override_before_a_plain_subscribe() -> None:
    double = signup_double()
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        code = double.signup.issue_code(NEW_NUMBER)
        async with httpx.AsyncClient(base_url=double.url) as c:
            token = (
                await c.get(
                    "/v21.0/oauth/access_token",
                    params={
                        "client_id": double.signup.app_id,
                        "client_secret": double.signup.app_secret,
                        "code": code,
                    },
                )
            ).json()["access_token"]
            answer = await c.post(
                f"/v21.0/{NEW_NUMBER.waba_id}/subscribed_apps",
                json={"override_callback_uri": "https://x.example/w", "verify_token": "v"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
        nursery.cancel_scope.cancel()


async def test_nothing_gates_on_scope_names(daemon_dir: Path) -> None:
    double = signup_double()
    double.signup.scope_names = ("wa_business_mgmt_2026", "wa_business_msg_2026")
    async with signup_stack(daemon_dir / "renamed", double=double) as (daemon, _, client):
        assert (await connect(daemon, double, client))["status"] == "active"
    double = signup_double()
    double.signup.scope_names = ()
    async with signup_stack(daemon_dir / "none", double=double) as (daemon, _, client):
        # No granular scopes listed at all: the WABA is proved by listing its numbers.
        assert (await connect(daemon, double, client))["status"] == "active"


async def test_a_waba_the_token_was_not_granted_is_refused(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        state = await start(daemon, client)
        answer = await callback(
            daemon,
            client,
            double.signup.issue_code(NEW_NUMBER),
            state,
            waba_id=COEXISTENCE.waba_id,
            phone_number_id=NEW_NUMBER.phone_number_id,
        )
        assert answer.status_code == 502 and answer.json()["step"] == "waba"
        assert (await status(daemon, client))["status"] == "error"


async def test_the_code_dies_30_seconds_after_it_was_issued(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with signup_stack(daemon_dir, clock=clock) as (daemon, double, client):
        state = await start(daemon, client)
        fresh = double.signup.issue_code(NEW_NUMBER)
        mock_clock.jump(29)
        late = double.signup.issue_code(NEW_NUMBER)
        mock_clock.jump(31)
        answer = await callback(daemon, client, late, state, **_hints())
        assert answer.status_code == 502
        assert "expirou antes de ser trocado" in answer.json()["message"]
        assert (await status(daemon, client))["connection"]["error_step"] == "exchange_code"
        # The one issued first is 60 s old too; one 29 s old still works (a new state).
        assert (
            await callback(daemon, client, fresh, await start(daemon, client))
        ).status_code == 502
        state = await start(daemon, client)
        fresh = double.signup.issue_code(NEW_NUMBER)
        mock_clock.jump(29)
        answer = await callback(daemon, client, fresh, state, **_hints())
        assert answer.status_code == 200, answer.text


async def test_a_missing_reused_expired_or_foreign_state_is_a_400(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with signup_stack(daemon_dir, clock=clock) as (daemon, double, client):

        async def attempt(state: str) -> httpx.Response:
            return await callback(
                daemon, client, double.signup.issue_code(NEW_NUMBER), state, **_hints()
            )

        missing = await attempt(secrets.token_urlsafe(32))
        assert (missing.status_code, missing.json()["error"]) == (400, "state_missing")

        state = await start(daemon, client)
        mock_clock.jump(599)
        assert (await attempt(state)).status_code == 200
        reused = await attempt(state)
        assert (reused.status_code, reused.json()["error"]) == (400, "state_reused")

        state = await start(daemon, client)
        mock_clock.jump(601)
        expired = await attempt(state)
        assert (expired.status_code, expired.json()["error"]) == (400, "state_expired")

        # A state issued to a page session cannot be spent by a script (or another page).
        page = await _page_session(daemon, client)
        started = await client.post(
            op(daemon, "/api/v1/whatsapp/embedded-signup/start"), headers=page
        )
        assert started.status_code == 200
        foreign = await attempt(started.json()["state"])
        assert (foreign.status_code, foreign.json()["error"]) == (400, "state_other_session")
        # Nothing was exchanged for any refused state.
        assert double.signup.calls.count("oauth") == 1
        failed = [p for n, p in _events(daemon) if n == "Embedded Signup Failed"]
        assert [p["error_code"] for p in failed] == [
            "state_missing",
            "state_reused",
            "state_expired",
            "state_other_session",
        ]


async def _page_session(daemon: Daemon, client: httpx.AsyncClient) -> dict[str, str]:
    """The headers the connection page's script sends: its page token and this origin."""
    page = await client.get(op(daemon, "/connect/whatsapp"))
    assert page.status_code == 200
    token = client.cookies.get("recado_csrf")
    assert token
    return {"X-Recado-Page-Token": token, "Origin": daemon.listeners["operator"].url}


async def test_the_page_session_is_required_and_checked(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, _, client):
        url = op(daemon, "/api/v1/whatsapp/embedded-signup/start")
        assert (await client.post(url)).status_code == 401
        headers = await _page_session(daemon, client)
        wrong = {**headers, "X-Recado-Page-Token": "x" * 22 + "." + "y" * 22}
        answer = await client.post(url, headers=wrong)
        assert (answer.status_code, answer.json()["error"]) == (401, "session_expired")
        cross = {**headers, "Origin": "https://evil.example"}
        assert (await client.post(url, headers=cross)).status_code == 403
        assert (await client.post(url, headers=headers)).status_code == 200


async def test_the_callback_refuses_malformed_fields(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, _, client):
        url = op(daemon, "/api/v1/whatsapp/embedded-signup/callback")
        for body, field in (
            ({"state": "s"}, "code"),
            ({"code": "c"}, "state"),
            ({"code": "c", "state": "s", "waba_id": "12ab"}, "waba_id"),
            ({"code": "c", "state": "s", "phone_number_id": 5}, "phone_number_id"),
            # Digits of other scripts are digits to a regex's \d, never to Meta's ids.
            ({"code": "c", "state": "s", "waba_id": "٥٢٤١٠٠"}, "waba_id"),
            ({"code": "c", "state": "s", "phone_number_id": "１０６５００"}, "phone_number_id"),
            ({"code": "c", "state": "s", "waba_id": "524100\n"}, "waba_id"),
            ({"code": "c" * 5000, "state": "s"}, "code"),
            ({"code": "c", "state": "s" * 200}, "state"),
        ):
            answer = await client.post(url, json=body, headers=key(daemon))
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["field"] == field


async def test_the_flag_off_refuses_and_the_file_token_keeps_working(daemon_dir: Path) -> None:
    double = GraphDouble(token="token-from-the-file")
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        write_secrets(daemon_dir)
        (daemon_dir / "token").write_text("token-from-the-file")
        toml = (
            'app_secret_file = "app_secret"\naccess_token_file = "token"\n'
            f'phone_number_id = "106540352242922"\ngraph_base_url = "{double.url}"\n'
        )
        async with (
            running_daemon(daemon_dir, toml, mode="enabled", test_hooks=False) as daemon,
            httpx.AsyncClient() as client,
        ):
            answer = await client.post(
                op(daemon, "/api/v1/whatsapp/embedded-signup/start"), headers=key(daemon)
            )
            assert (answer.status_code, answer.json()["error"]) == (
                409,
                "embedded_signup_disabled",
            )
            page = await client.get(op(daemon, "/connect/whatsapp"))
            assert "embedded_signup_enabled = true" in page.text
            creds = daemon.whatsapp_credentials()
            assert creds is not None and creds.source == "config"
            assert (await status(daemon, client))["source"] == "config"
        nursery.cancel_scope.cancel()


async def test_sends_use_the_connection_and_disconnect_keeps_the_history(
    daemon_dir: Path,
) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        body = await connect(daemon, double, client)
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        sent = double.sends()[-1]
        token = double.signup.token_for(NEW_NUMBER)
        assert sent.headers["authorization"] == f"Bearer {token}"
        assert sent.path == f"/v21.0/{NEW_NUMBER.phone_number_id}/messages"

        answer = await client.post(
            op(daemon, "/api/v1/whatsapp/connection/disconnect"), headers=key(daemon)
        )
        assert answer.status_code == 200 and answer.json()["unsubscribed"] is True
        assert NEW_NUMBER.waba_id not in double.signup.subscribed
        now = await status(daemon, client)
        assert now["status"] == "disconnected" and now["source"] == "none"
        steps = _steps(daemon, body["connection_id"])
        assert steps[0] == ("state", "ok") and steps[-1] == ("unsubscribe", "ok")
        assert _events(daemon)[-1] == (
            "WhatsApp Disconnected",
            {"waba_id": NEW_NUMBER.waba_id, "reason": "operator"},
        )
        again = await client.post(
            op(daemon, "/api/v1/whatsapp/connection/disconnect"), headers=key(daemon)
        )
        assert (again.status_code, again.json()["error"]) == (409, "not_connected")
        # A new signup of the same number registers with the PIN it has.
        pin = double.signup.registered[NEW_NUMBER.phone_number_id]
        second = await connect(daemon, double, client)
        assert "pin" not in second
        assert double.signup.registered[NEW_NUMBER.phone_number_id] == pin
        await real_pause()


async def test_the_page_speaks_english_with_ui_locale_en(daemon_dir: Path) -> None:
    extra = '[ui]\nlocale = "en"\n'
    async with signup_stack(daemon_dir, extra) as (daemon, double, client):
        page = await client.get(op(daemon, "/connect/whatsapp"))
        for words in (
            "Connect WhatsApp",
            "Start connection",
            "Session expired. Click to reconnect.",
            "Connection canceled. Click to try again.",
            "contact support",
        ):
            assert words in page.text, words
        assert "Iniciar conexão" not in page.text
        double.signup.fail_next("subscribe", 1, 100)
        state = await start(daemon, client)
        answer = await callback(
            daemon, client, double.signup.issue_code(NEW_NUMBER), state, **_hints()
        )
        assert answer.json()["message"].startswith("Step «subscribing the app")
        page = await client.get(op(daemon, "/connect/whatsapp"))
        assert "subscribing the app to the account (webhooks)" in page.text


async def test_the_connection_pages_are_their_types(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        await same_shape(client, op(daemon, "/connect/whatsapp.json"), ConnectPage)
        double.signup.fail_next("register", 1, 133016)
        state = await start(daemon, client)
        await callback(daemon, client, double.signup.issue_code(NEW_NUMBER), state, **_hints())
        await connect(daemon, double, client, COEXISTENCE)
        page = await same_shape(client, op(daemon, "/connect/whatsapp.json"), ConnectPage)
        assert page["funnel"]["errors"] == [
            {"error_code": "133016", "step_failed": "register", "count": 1}
        ]
        assert page["history"] and page["connection"]["coexistence"] is True
        body = await same_shape(
            client, op(daemon, "/api/v1/whatsapp/connection/status"), ConnectionStatus
        )
        assert body["source"] == "connection"
