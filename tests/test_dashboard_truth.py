"""The dashboard tells the truth on a first run (issue: hardening, item 11)."""

from __future__ import annotations

from pathlib import Path

import httpx

from recado.testing.daemon_process import DaemonProcess, write_config
from tests.conftest import running_daemon
from tests.process_helpers import cli
from tests.test_sender import book, notice_reaches, settle, stack


async def _dashboard(client: httpx.AsyncClient, op: str | None) -> dict:
    return (await client.get(f"{op}/dashboard.json")).json()


async def test_a_fresh_dry_run_install_is_healthy_and_not_connected(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        dash = await _dashboard(client, op)
        assert dash["status"] == "healthy"
        assert dash["whatsapp"]["connected"] is False
        assert dash["whatsapp"]["connection"] == "not_configured"
        page = (await client.get(f"{op}/dashboard")).text
        assert "não configurado (falta o token ou o número)" in page
        assert 'class="badge healthy"' in page


async def test_the_kill_switch_reads_paused_in_amber(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        headers = {"X-API-Key": daemon.api_key}
        await client.post(f"{op}/whatsapp/kill-switch", json={"on": True}, headers=headers)
        dash = await _dashboard(client, op)
        assert dash["status"] == "paused"
        page = (await client.get(f"{op}/dashboard")).text
        assert 'class="badge paused" id="status">Pausado<' in page


async def test_connected_only_once_meta_accepted_a_send(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        op = daemon.listeners["operator"].url
        before = (await _dashboard(client, op))["whatsapp"]
        assert (before["connected"], before["connection"]) == (False, "configured")
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        after = (await _dashboard(client, op))["whatsapp"]
        assert (after["connected"], after["connection"]) == (True, "active")
        assert after["last_accepted_at"] is not None
        double.fail_next(1, 190, http_status=401, subcode=463)
        await book(daemon, client, apt="apt-2")
        await settle(
            daemon,
            "SELECT state FROM messages WHERE appointment_id = 'apt-2' "
            "AND kind = 'appointment_created'",
            [{"state": "failed"}],
        )
        now = (await _dashboard(client, op))["whatsapp"]
        assert (now["connected"], now["connection"]) == (False, "error")


def test_status_exits_non_zero_unless_healthy(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        assert cli(config, "status").returncode == 0
        assert cli(config, "kill-switch", "on").returncode == 0
        paused = cli(config, "status")
        assert paused.returncode == 1
        assert "status: paused" in paused.stdout
        assert cli(config, "status", "--json").returncode == 1
    finally:
        daemon.terminate()


async def test_a_dry_run_day_says_its_messages_were_simulated_not_that_none_went(
    daemon_dir: Path,
) -> None:
    # A new user's first demo runs in dry_run: "Enviadas 0" alone read as "nothing works".
    async with stack(daemon_dir, mode="dry_run") as (daemon, _double, client):
        op = daemon.listeners["operator"].url
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        today = (await _dashboard(client, op))["today"]["messages"]
        assert today["sent"] == 0 and today["dry_run"] >= 1
        page = (await client.get(f"{op}/dashboard")).text
        assert 'id="today-dry-run"' in page and "Simuladas (dry_run" in page
        # The appointment's page says so of each message too, as the messages list does.
        appointment = (await client.get(f"{op}/appointments/apt-1")).text
        assert "enviada (simulação)" in appointment
    async with stack(daemon_dir / "enabled") as (daemon, _double, client):
        op = daemon.listeners["operator"].url
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        today = (await _dashboard(client, op))["today"]["messages"]
        assert today["sent"] == 1 and today["dry_run"] == 0
        assert 'id="today-dry-run"' not in (await client.get(f"{op}/dashboard")).text
