"""``recado simulate`` plays a client against a running daemon, as the README's demo does."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx

from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import cli

EVENT = {
    "id": "evt-demo-1",
    "type": "appointment.created",
    "occurred_at": "2026-12-01T09:00:00-03:00",
    "data": {
        "appointment_id": "apt-100",
        "client": {"name": "Ana Souza", "phone": "(11) 98765-4321"},
        "service": "Corte",
        "starts_at": "2099-12-05T15:00:00-03:00",
        "location": "Rua A, 10",
    },
}


def _until(get: Any, check: Any, timeout_s: float = 15) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = get()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_simulate_text_tap_and_statuses(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        key = (tmp_path / "var" / "api_key").read_text().strip()
        accepted = httpx.post(
            f"{daemon.public_url}/api/v1/events", json=EVENT, headers={"X-API-Key": key}
        )
        assert accepted.status_code == 202

        def apt() -> dict[str, Any]:
            return httpx.get(f"{daemon.operator_url}/appointments/apt-100.json").json()

        notice = _until(apt, lambda a: any(m["wamid"] for m in a["messages"]))["messages"][0]

        tap = cli(config, "simulate", "tap", "CONFIRM", "apt-100")
        assert tap.returncode == 0, tap.stderr
        assert 'posted tap on "Confirmar" for apt-100' in tap.stdout
        confirmed = _until(apt, lambda a: a["status"] == "confirmed")
        assert confirmed["status"] == "confirmed"
        replies = _until(
            apt,
            lambda a: any(
                m["kind"] == "button_reply" and m["state"] == "sent" for m in a["messages"]
            ),
        )
        assert [m["kind"] for m in replies["messages"]].count("button_reply") == 1

        text = cli(config, "simulate", "text", "(11) 98765-4321", "Oi, tudo bem?")
        assert text.returncode == 0, text.stderr
        conversation = _until(
            lambda: httpx.get(f"{daemon.operator_url}/conversations/5511987654321.json").json(),
            lambda c: c["ledger"] and c["ledger"]["inbound_count"] == 2,
        )
        assert conversation["window"]["open"] is True

        statuses = cli(config, "simulate", "status", notice["id"])
        assert statuses.returncode == 0, statuses.stderr
        message = _until(
            lambda: httpx.get(f"{daemon.operator_url}/messages/{notice['id']}.json").json(),
            lambda m: m["message"]["state"] == "read",
        )
        assert message["message"]["state"] == "read"

        unknown = cli(config, "simulate", "tap", "CONFIRM", "nope")
        assert unknown.returncode == 1 and "404" in unknown.stderr
        bad_phone = cli(config, "simulate", "text", "12", "oi")
        assert bad_phone.returncode == 1 and "phone:" in bad_phone.stderr
    finally:
        daemon.terminate()


ENABLED = (
    'phone_number_id = "123"\napp_secret_file = "app_secret"\naccess_token_file = "token"\n'
    'graph_base_url = "http://127.0.0.1:9"\n'
)
VERBS = [
    ("text", "(11) 98765-4321", "Oi"),
    ("tap", "CONFIRM", "apt-100"),
    ("status", "1"),
]


def _inbox(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "recado.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM webhook_inbox").fetchone()[0])


def test_simulate_refuses_a_daemon_that_really_sends_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "app_secret").write_text("s" * 32)
    (tmp_path / "token").write_text("t" * 40)
    config = write_config(tmp_path, ENABLED, mode="enabled")
    # No daemon running: the file's mode decides, before anything is reached.
    for verb in VERBS:
        refused = cli(config, "simulate", *verb)
        assert refused.returncode == 1, (verb, refused.stdout)
        assert '"enabled"' in refused.stderr and "--force" in refused.stderr, refused.stderr
        assert "cannot reach" not in refused.stderr
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        for verb in VERBS:
            refused = cli(config, "simulate", *verb)
            assert refused.returncode == 1 and "--force" in refused.stderr, (verb, refused.stderr)
        assert _inbox(daemon.data_dir) == 0
        forced = cli(config, "simulate", "text", "(11) 98765-4321", "Oi", "--force")
        assert forced.returncode == 0, forced.stderr
        assert _inbox(daemon.data_dir) == 1
    finally:
        daemon.terminate()


def test_simulate_refuses_when_the_file_turns_enabled_under_a_dry_run_daemon(
    tmp_path: Path,
) -> None:
    (tmp_path / "app_secret").write_text("s" * 32)
    (tmp_path / "token").write_text("t" * 40)
    config = write_config(tmp_path, ENABLED, mode="dry_run")
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        played = cli(config, "simulate", "text", "(11) 98765-4321", "Oi")
        assert played.returncode == 0, played.stderr
        # The next restart sends for real: the refusal does not wait for it.
        config.write_text(config.read_text().replace('"dry_run"', '"enabled"'))
        refused = cli(config, "simulate", "text", "(11) 98765-4321", "Oi")
        assert refused.returncode == 1 and "--force" in refused.stderr, refused.stderr
    finally:
        daemon.terminate()
