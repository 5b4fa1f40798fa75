"""``recado conversations list|show`` against a daemon in its own process (issue 12, item
5): the index found by name, the timeline with times in the studio's zone."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx

from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import cli
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, write_secrets

LOCAL = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}  ")


def test_list_search_and_show_from_the_cli(tmp_path: Path) -> None:
    write_secrets(tmp_path)
    config = write_config(tmp_path, WEBHOOK_TOML)
    with DaemonProcess(config, test_hooks=False) as daemon:
        now = int(time.time())
        body = wb.envelope(
            [
                wb.inbound_text("Oi", wa_id="5511987654321", name="Ana Souza", ts=now - 600),
                wb.inbound_text("Tem horário?", wa_id="5521912345678", name="Bia", ts=now),
                wb.inbound_edit("wamid.X", "x", wa_id="5521912345678", name="Bia", ts=now),
            ]
        )
        raw, headers = wb.signed(body, APP_SECRET)
        answer = httpx.post(f"{daemon.public_url}/webhooks/whatsapp", content=raw, headers=headers)
        assert answer.status_code == 200
        deadline = time.monotonic() + 15
        while "Ana Souza" not in (listed := cli(config, "conversations", "list")).stdout:
            assert time.monotonic() < deadline, listed
            time.sleep(0.2)
        lines = listed.stdout.splitlines()
        assert len(lines) == 2 and all(LOCAL.match(line) for line in lines)
        assert "5521912345678" in lines[0] and "Bia  +5521912345678" in lines[0]
        assert "window open" in lines[0] and "2 in, 0 out" in lines[0]

        found = cli(config, "conversations", "list", "--search", "souza")
        assert found.returncode == 0 and found.stdout.count("\n") == 1
        assert "Ana Souza" in found.stdout

        shown = cli(config, "conversations", "show", "5521912345678")
        assert shown.returncode == 0, shown.stderr
        first, window, *timeline = shown.stdout.splitlines()
        assert first == "Bia  +5521912345678"
        assert window.startswith("window open until ")
        assert any(line.endswith("inbound         text  Tem horário?") for line in timeline)

        refused = cli(config, "conversations", "list", "--search", "a" * 101)
        assert refused.returncode == 1 and "422" in refused.stderr
