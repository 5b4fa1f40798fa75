"""Meta's codes, the business tokens and the PIN never reach the logs, the database file, a
backup or any page, even when the Graph API echoes them back in an error; the audit and the
connection's history say what happened without them."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import trio

from recado.http.operator_app import create_operator_app
from recado.logs import setup_logging
from recado.runtime.context import Daemon
from recado.testing.signup_double import COEXISTENCE, NEW_NUMBER
from tests.signup_helpers import callback, connect, key, op, signup_stack, start, until
from tests.test_sender import book, notice_reaches
from tests.webhook_helpers import APP_SECRET, VERIFY_TOKEN, query


def _pieces(secret: str) -> set[bytes]:
    raw = secret.encode()
    width = min(10, len(raw))
    return {raw[i : i + width] for i in range(len(raw) - width + 1)}


def _leaks(data: bytes, secrets: dict[str, str]) -> list[str]:
    """Which secrets ``data`` holds, whole or any 10-character piece (a PIN: whole)."""
    return [name for name, s in secrets.items() if any(p in data for p in _pieces(s))]


def _operator_pages(daemon: Daemon) -> list[str]:
    """Every GET route of the operator app, with each id the database holds filled in."""
    values = {
        "delivery_id": "SELECT id AS v FROM deliveries",
        "event_id": "SELECT id AS v FROM events",
        "message_id": "SELECT id AS v FROM messages",
        "wa_id": "SELECT wa_id AS v FROM conversations",
        "appointment_id": "SELECT id AS v FROM appointments",
    }
    paths: list[str] = []
    for rule in create_operator_app(daemon).url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith("/static"):
            continue
        if not rule.arguments:
            paths.append(rule.rule)
            continue
        (name,) = rule.arguments
        found = [str(r["v"]) for r in query(daemon, values[name])]
        paths += [rule.build({name: v}, append_unknown=False)[1] for v in found]
    assert "/connect/whatsapp" in paths and "/api/v1/whatsapp/connection/status" in paths
    return [*paths, "/audit?limit=500", "/alerts?all=1"]


async def test_codes_tokens_and_pins_reach_no_log_file_or_page(daemon_dir: Path) -> None:
    lines = io.StringIO()
    setup_logging("debug", stream=lines)
    try:
        async with signup_stack(daemon_dir) as (daemon, double, client):
            secrets: dict[str, str] = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
            # A code Meta refuses, echoing it in its error.
            state = await start(daemon, client)
            refused = double.signup.issue_code(NEW_NUMBER)
            double.signup.fail_next("oauth", 1, 100, message=f"Invalid code {refused} given")
            failed = await callback(daemon, client, refused, state, waba_id=NEW_NUMBER.waba_id)
            assert failed.status_code == 502
            assert refused not in failed.text
            secrets["refused_code"] = refused
            # A new number (a PIN made and shown once) and a coexistence number.
            body = await connect(daemon, double, client)
            secrets["pin"] = body["pin"]
            token = double.signup.token_for(NEW_NUMBER)
            assert token is not None
            secrets["token"] = token
            await book(daemon, client)
            await notice_reaches(daemon, "sent")
            await connect(daemon, double, client, COEXISTENCE)
            coexistence_token = double.signup.token_for(COEXISTENCE)
            assert coexistence_token is not None
            secrets["coexistence_token"] = coexistence_token
            await until(lambda: len(double.signup.smb_requests) == 2, "syncs requested")
            secrets.update(
                {f"code_{i}": code for i, code in enumerate(double.signup.codes) if code != refused}
            )
            # Meta echoes the bearer token in its answer to the unsubscribe.
            double.signup.fail_next(
                "unsubscribe",
                1,
                190,
                http_status=401,
                message=f"Authorization: Bearer {coexistence_token} was refused "
                f"(access_token={coexistence_token})",
            )
            answer = await client.post(
                op(daemon, "/api/v1/whatsapp/connection/disconnect"), headers=key(daemon)
            )
            assert answer.status_code == 200 and answer.json()["unsubscribed"] is False
            detail = query(
                daemon,
                "SELECT detail FROM whatsapp_connection_steps WHERE step = 'unsubscribe'",
            )[0]["detail"]
            assert "[redacted]" in detail
            rotated = await client.post(op(daemon, "/keys/rotate"), headers=key(daemon))
            assert rotated.status_code == 200

            leaks: dict[str, list[str]] = {}
            for path in _operator_pages(daemon):
                for accept in ("text/html", "application/json"):
                    page = await client.get(op(daemon, path), headers={"Accept": accept})
                    assert page.status_code < 500, (path, page.status_code)
                    if found := _leaks(page.content, secrets):
                        leaks[f"{path} ({accept})"] = found
            public = daemon.listeners["public"].url
            for path in ("/status", "/openapi.json"):
                page = await client.get(f"{public}{path}")
                if found := _leaks(page.content, secrets):
                    leaks[path] = found
            backup = daemon.data_dir / "signup-backup.db"
            cli = await trio.run_process(
                [
                    sys.executable,
                    "-m",
                    "recado",
                    "backup",
                    str(backup),
                    "--config",
                    str(daemon.config_path),
                ],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
            )
            assert cli.returncode == 0, cli.stderr
            for name in ("recado.db", "recado.db-wal", "signup-backup.db"):
                if found := _leaks((daemon.data_dir / name).read_bytes(), secrets):
                    leaks[name] = found
            audit = query(daemon, "SELECT detail_json FROM audit_log")
            if found := _leaks("".join(a["detail_json"] for a in audit).encode(), secrets):
                leaks["audit"] = found
        log = lines.getvalue()
        assert "whatsapp_connected" in log and "signup_failed" in log
        if found := _leaks(log.encode(), secrets):
            leaks["log"] = found
        assert leaks == {}
    finally:
        setup_logging("info")
