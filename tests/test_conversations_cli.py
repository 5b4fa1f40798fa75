"""``recado conversations list|show|reply`` against a daemon in its own process (issue 12,
items 3 and 5): the index found by name, the timeline with times in the studio's zone, and a
reply as an operator types it."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import httpx

from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import cli
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, write_secrets

LOCAL = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}  ")
BSUID = "BR.5500998877665544"


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
        assert "5521912345678" in lines[0] and "Bia  (21) 91234-5678" in lines[0]
        assert "window open" in lines[0] and "2 in, 0 out" in lines[0]

        found = cli(config, "conversations", "list", "--search", "souza")
        assert found.returncode == 0 and found.stdout.count("\n") == 1
        assert "Ana Souza" in found.stdout

        shown = cli(config, "conversations", "show", "5521912345678")
        assert shown.returncode == 0, shown.stderr
        first, window, *timeline = shown.stdout.splitlines()
        assert first == "Bia  (21) 91234-5678"
        assert window.startswith("window open until ")
        assert any(line.endswith("inbound         text  Tem horário?") for line in timeline)

        refused = cli(config, "conversations", "list", "--search", "a" * 101)
        assert refused.returncode == 1 and "422" in refused.stderr


def _customer(db: Path, bsuid: str) -> int:
    deadline = time.monotonic() + 15
    while True:
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT id FROM customers WHERE bsuid = ?", (bsuid,)).fetchone()
        if row is not None:
            return int(row[0])
        assert time.monotonic() < deadline, "the inbound message was never applied"
        time.sleep(0.1)


def test_reply_from_the_cli_once_and_only_while_the_window_is_open(tmp_path: Path) -> None:
    write_secrets(tmp_path)
    config = write_config(tmp_path, WEBHOOK_TOML)
    with DaemonProcess(config, test_hooks=False) as daemon:
        now = int(time.time())
        for bsuid, ts in ((BSUID, now - 60), ("BR.1234", now - 90000)):
            raw, headers = wb.signed(
                wb.envelope([wb.inbound_text("Oi", wa_id=None, user_id=bsuid, ts=ts)]),
                APP_SECRET,
            )
            answer = httpx.post(
                f"{daemon.public_url}/webhooks/whatsapp", content=raw, headers=headers
            )
            assert answer.status_code == 200
        db = daemon.data_dir / "recado.db"
        open_one, closed_one = _customer(db, BSUID), _customer(db, "BR.1234")

        first = cli(config, "conversations", "reply", str(open_one), "Olá!", "--request-id", "r1")
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip().endswith(": queued (queued)")
        again = cli(config, "conversations", "reply", str(open_one), "Olá!", "--request-id", "r1")
        assert again.returncode == 0 and "already queued" in again.stdout
        other = cli(config, "conversations", "reply", str(open_one), "Mais uma coisa")
        assert other.returncode == 0 and ": queued" in other.stdout

        closed = cli(config, "conversations", "reply", str(closed_one), "Olá!")
        assert closed.returncode == 1 and "409 window_closed" in closed.stderr
        missing = cli(config, "conversations", "reply", "999", "Olá!")
        assert missing.returncode == 1 and "404 not_found" in missing.stderr
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT kind, text_body FROM messages WHERE customer_id = ? ORDER BY text_body",
                (open_one,),
            ).fetchall()
        assert rows == [("operator_reply", "Mais uma coisa"), ("operator_reply", "Olá!")]
