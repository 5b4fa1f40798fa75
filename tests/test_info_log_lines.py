"""The journal tells what happened at info level: one line per accepted event, send
outcome, rejected webhook and operator action (issue: hardening, item 11)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from recado.testing.daemon_process import DaemonProcess, write_config
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, write_secrets

EVENT = {
    "id": "evt-log-1",
    "type": "appointment.created",
    "occurred_at": "2026-12-01T09:00:00-03:00",
    "data": {
        "appointment_id": "apt-log",
        "client": {"name": "Ana Souza", "phone": "+5511987654321"},
        "service": "Corte",
        "starts_at": "2099-12-05T15:00:00-03:00",
    },
}


def test_one_info_line_per_event_outcome_rejection_and_action(tmp_path: Path) -> None:
    write_secrets(tmp_path)
    config = write_config(tmp_path, WEBHOOK_TOML)
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        key = (tmp_path / "var" / "api_key").read_text().strip()
        headers = {"X-API-Key": key}
        assert httpx.post(f"{daemon.public_url}/api/v1/events", json=EVENT, headers=headers)
        forged = httpx.post(
            f"{daemon.public_url}/webhooks/whatsapp",
            content=b'{"object": "whatsapp_business_account", "entry": []}',
            headers={"X-Hub-Signature-256": "sha256=" + "0" * 64},
        )
        assert forged.status_code == 401
        on = httpx.post(
            f"{daemon.operator_url}/whatsapp/kill-switch", json={"on": True}, headers=headers
        )
        assert on.status_code == 200
        refused = httpx.post(f"{daemon.operator_url}/dlq/1/retry", headers=headers)
        assert refused.status_code == 404
        deadline = time.monotonic() + 15
        wanted = {"event_accepted", "message_sent", "webhook_rejected", "operator_action"}
        while time.monotonic() < deadline:
            seen = {e.get("event"): e for e in daemon.log_events() if e.get("level") == "info"}
            if wanted <= set(seen) and "operator_action_refused" in seen:
                break
            time.sleep(0.1)
        assert wanted <= set(seen), sorted(seen)
        assert seen["event_accepted"]["event_id"] == "evt-log-1"
        assert seen["message_sent"]["kind"] == "appointment_created"
        assert seen["message_sent"]["dry_run"] == "true"
        assert seen["webhook_rejected"]["reason"] == "signature_mismatch"
        assert seen["operator_action"]["path"] == "/whatsapp/kill-switch"
        assert seen["operator_action_refused"]["status"] == "404"
        assert APP_SECRET not in daemon.log_text() and key not in daemon.log_text()
    finally:
        daemon.terminate()
