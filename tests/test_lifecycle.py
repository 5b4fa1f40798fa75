"""The daemon as systemd runs it: a child process, signals, sd_notify, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import cli


def test_sigterm_drains_and_exits_zero(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    assert httpx.get(f"{daemon.public_url}/healthz").status_code == 200
    started = time.monotonic()
    assert daemon.terminate() == 0
    assert time.monotonic() - started < 5
    assert not (daemon.data_dir / "recado.runtime.json").exists()
    events = [e.get("event") for e in daemon.log_events()]
    assert events.index("ready") < events.index("stopping") < events.index("stopped")


def test_sighup_reloads_reloadable_keys_and_names_the_rest(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        text = config.read_text()
        text = text.replace('mode = "dry_run"', 'mode = "disabled"')
        text = text.replace("shutdown_grace_s = 5", "shutdown_grace_s = 7")
        config.write_text(text)
        daemon.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reloaded = [e for e in daemon.log_events() if e.get("event") == "config_reloaded"]
            if reloaded:
                break
            time.sleep(0.05)
        assert reloaded[0]["applied"] == "whatsapp.mode"
        assert reloaded[0]["needs_restart"] == "daemon.shutdown_grace_s"
        data = httpx.get(f"{daemon.operator_url}/dashboard.json").json()
        assert data["whatsapp"]["mode"] == "disabled"
        audit = httpx.get(f"{daemon.operator_url}/audit.json").json()["items"]
        assert audit[0]["action"] == "config.reload"
    finally:
        assert daemon.terminate() == 0


def test_cli_status_backup_and_reload(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        status = cli(config, "status")
        assert status.returncode == 0, status.stderr
        assert "whatsapp: mode=dry_run" in status.stdout
        dest = tmp_path / "var" / "backup-1.db"
        backup = cli(config, "backup", str(dest))
        assert backup.returncode == 0, backup.stderr
        assert f"backup written to {dest}" in backup.stdout
        assert "integrity_check ok" in backup.stdout
        again = cli(config, "backup", str(dest))
        assert again.returncode == 1
        assert "409" in again.stderr
        reload = cli(config, "reload")
        assert reload.returncode == 0
        assert reload.stdout.strip() == "applied: nothing changed"
    finally:
        daemon.terminate()
    down = cli(config, "status")
    assert down.returncode == 1
    assert "cannot reach the daemon" in down.stderr


def test_cli_webhooks_replay(tmp_path: Path) -> None:
    from recado.testing import webhook_bodies as wb

    config = write_config(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        body = wb.encode(wb.envelope([wb.inbound_text()]))
        assert httpx.post(f"{daemon.public_url}/webhooks/whatsapp", content=body).status_code == 200
        replay = cli(config, "webhooks", "replay", "--since", "2020-01-01T00:00:00Z")
        assert replay.returncode == 0, replay.stderr
        assert replay.stdout.strip() == "replayed 1 bodies, 0 failed"
        bad = cli(config, "webhooks", "replay", "--since", "last week")
        assert bad.returncode == 1
        assert "since: expected an RFC 3339 time with an offset" in bad.stderr
    finally:
        daemon.terminate()


def test_cli_messages_and_kill_switch(tmp_path: Path) -> None:
    config = write_config(tmp_path, "kill_switch = true\n")
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        key = (daemon.data_dir / "api_key").read_text().strip()
        event = {
            "id": "e1",
            "type": "appointment.created",
            "occurred_at": "2026-11-24T10:00:00-03:00",
            "data": {
                "appointment_id": "a1",
                "client": {"name": "Ana", "phone": "11987654321"},
                "service": "Corte",
                "starts_at": "2030-01-10T15:00:00-03:00",
            },
        }
        assert (
            httpx.post(
                f"{daemon.public_url}/api/v1/events", json=event, headers={"X-API-Key": key}
            ).status_code
            == 202
        )
        listed = cli(config, "messages", "list", "--kind", "appointment_created")
        assert listed.returncode == 0, listed.stderr
        assert "appointment_created" in listed.stdout and "queued" in listed.stdout
        job_id = listed.stdout.split()[2]
        shown = cli(config, "messages", "show", job_id)
        assert shown.returncode == 0 and "queued" in shown.stdout
        off = cli(config, "kill-switch", "off")
        assert off.stdout.strip() == (
            "kill switch on (still on: whatsapp.kill_switch = true in the config)"
        )
        missing = cli(config, "messages", "retry", "nope")
        assert missing.returncode == 1 and "404" in missing.stderr
    finally:
        daemon.terminate()


@pytest.mark.parametrize("flag", ["--test-hooks", "--no-group-commit"])
def test_recado_run_has_no_test_flags(tmp_path: Path, flag: str) -> None:
    """What tests and benches inject goes through ``recado.testing``, not the product's CLI."""
    config = write_config(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "recado", "run", "--config", str(config), flag],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert f"unrecognized arguments: {flag}" in result.stderr
    assert not (tmp_path / "var" / "recado.db").exists()


def test_cli_usage_error_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "recado", "frobnicate"], capture_output=True, text=True
    )
    assert result.returncode == 2


def test_invalid_config_refuses_to_start(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'max_attempts = "five"\n')
    result = subprocess.run(
        [sys.executable, "-m", "recado", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "whatsapp.max_attempts" in result.stdout


def test_test_hooks_refused_with_real_sends(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        'phone_number_id = "123"\napp_secret_file = "secret"\naccess_token_file = "token"\n',
        mode="enabled",
    )
    (tmp_path / "secret").write_text("app-secret-value-123\n")
    (tmp_path / "token").write_text("token-value-456\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recado.testing.run_with_hooks",
            "--config",
            str(config),
            "--test-hooks",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "test hooks cannot be enabled" in result.stdout
    # Configured secrets never reach the log, even on a refused start.
    assert "app-secret-value-123" not in result.stdout
    assert "token-value-456" not in result.stdout


def test_secrets_never_reach_the_log(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    secret = "s3cret-verify-token-that-must-not-leak"
    daemon = DaemonProcess(
        config, test_hooks=False, env={"RECADO_WHATSAPP_VERIFY_TOKEN": secret}
    ).start()
    try:
        # The daemon's own generated API key is a secret too.
        api_key = (daemon.data_dir / "api_key").read_text().strip()
        httpx.get(f"{daemon.operator_url}/dashboard.json", headers={"X-API-Key": api_key})
    finally:
        daemon.terminate()
    log = daemon.log_text()
    assert secret not in log
    assert api_key not in log
    assert "generated_api_key" in log


def test_pid_in_runtime_file_matches(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with DaemonProcess(config, test_hooks=False) as daemon:
        import json

        info = json.loads((daemon.data_dir / "recado.runtime.json").read_text())
        assert info["pid"] == daemon.pid
        assert info["operator"] == daemon.operator_url
        assert os.path.samefile(info["config"], config)
