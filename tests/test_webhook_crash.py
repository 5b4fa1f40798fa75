"""Every webhook that got a 200 survives ``kill -9`` and is applied exactly once.

A client posts signed bodies (one inbound message each, unique wamid) with up to 50 in flight
to the real daemon in a child process, which is killed at a random moment; then it is
restarted on the same file. At the end every acknowledged body is in the inbox, applied once:
one row per wamid, ledger counts equal to the rows, every inbox row processed on its first
attempt.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.crash_driver import RequestBuilder, post_until_killed
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, write_secrets

RUNS = 10
BODIES = 5000
IN_FLIGHT = 50
CLIENTS = [f"55119{n:08d}" for n in range(20)]


def _bodies(run: int) -> RequestBuilder:
    def build(i: int) -> tuple[str, str, dict[str, Any]]:
        wamid = f"wamid.K{run:02d}x{i:05d}"
        change = wb.inbound_text(
            f"mensagem {i}",
            wa_id=CLIENTS[i % len(CLIENTS)],
            ts=1767225600 + run * BODIES + i,
            id=wamid,
        )
        raw, headers = wb.signed(wb.envelope([change]), APP_SECRET)
        return wamid, "/webhooks/whatsapp", {"content": raw, "headers": headers}

    return build


def _wait_processed(daemon: DaemonProcess, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        webhooks = httpx.get(f"{daemon.operator_url}/dashboard.json").json()["webhooks"]
        if webhooks["pending"] == 0:
            return
        time.sleep(0.2)
    raise TimeoutError("the processor did not drain the inbox")


@pytest.mark.slow
async def test_acknowledged_webhooks_survive_kill_9_and_apply_once(tmp_path: Path) -> None:
    rng = random.Random(4242)
    write_secrets(tmp_path)
    config = write_config(tmp_path, WEBHOOK_TOML)
    all_acked: set[str] = set()
    for run in range(RUNS):
        daemon = DaemonProcess(config, test_hooks=False)
        await trio.to_thread.run_sync(daemon.start)
        kill_after = rng.randrange(1, BODIES - IN_FLIGHT)
        all_acked |= await post_until_killed(
            daemon,
            daemon.public_url,
            _bodies(run),
            total=BODIES,
            concurrency=IN_FLIGHT,
            kill_after=kill_after,
        )

    daemon = DaemonProcess(config, test_hooks=False)
    await trio.to_thread.run_sync(daemon.start)
    await trio.to_thread.run_sync(_wait_processed, daemon)
    assert daemon.terminate() == 0

    with sqlite3.connect(tmp_path / "var" / "recado.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {r[0] for r in conn.execute("SELECT wamid FROM inbound_messages")}
        missing = all_acked - stored
        assert not missing, f"{len(missing)} acknowledged bodies lost, e.g. {sorted(missing)[:5]}"
        unprocessed = conn.execute(
            "SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL OR error IS NOT NULL"
        ).fetchone()[0]
        assert unprocessed == 0
        # Applied exactly once: each body on its first attempt, and the ledger counted each
        # message once.
        assert conn.execute("SELECT MAX(attempts) FROM webhook_inbox").fetchone() == (1,)
        mismatched = conn.execute(
            "SELECT c.customer_id FROM conversations c WHERE c.inbound_count != "
            "(SELECT COUNT(*) FROM inbound_messages m WHERE m.customer_id = c.customer_id)"
        ).fetchall()
        assert mismatched == []
        inbox = conn.execute("SELECT COUNT(*) FROM webhook_inbox").fetchone()[0]
    assert len(all_acked) <= inbox
    assert len(all_acked) > RUNS
