"""The journal tells what happened at info level: one line per accepted event, send
outcome, rejected webhook and operator action (issue: hardening, item 11)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest

from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.hub_helpers import hub_stack
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


async def test_one_info_line_per_delivered_delivery_and_accepted_webhook_body(
    daemon_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    write_secrets(daemon_dir)
    flows = '[[flows]]\nevent = "lead.created"\nactions = ["http:crm:POST:/leads"]\n'
    async with hub_stack(daemon_dir, ("crm",), flows, whatsapp=WEBHOOK_TOML) as hub:
        await hub.event("lead-log-1")
        await hub.until("SELECT state FROM deliveries", [{"state": "done"}])
        raw, headers = wb.signed(wb.envelope([wb.inbound_text("oi")]), APP_SECRET)
        public = hub.daemon.listeners["public"].url
        answer = await hub.client.post(f"{public}/webhooks/whatsapp", content=raw, headers=headers)
        assert answer.status_code == 200
        inbox_id = answer.json()["id"]

    def lines(event: str) -> list[dict[str, object]]:
        return [
            r.__dict__["recado_fields"]
            for r in caplog.records
            if r.getMessage() == event and r.levelno == logging.INFO
        ]

    [delivered] = lines("delivered")
    assert delivered["event_id"] == "lead-log-1" and delivered["service"] == "crm"
    assert delivered["status"] == 201 and delivered["attempts"] == 1  # the double creates
    [accepted] = lines("webhook_accepted")
    assert accepted["inbox_id"] == inbox_id and accepted["signed"] is True
    assert APP_SECRET not in caplog.text
