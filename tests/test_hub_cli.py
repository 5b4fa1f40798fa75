"""The hub's CLI against a daemon in its own process and a service double in another."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import cli, service_double_process


@pytest.fixture
def crm_double() -> Iterator[str]:
    with service_double_process(fail=422) as url:
        yield url


def test_dlq_breakers_sync_and_report_from_thecli(tmp_path: Path, crm_double: str) -> None:
    config = write_config(
        tmp_path,
        f'[[services]]\nname = "crm"\nbase_url = "{crm_double}"\n'
        '[[flows]]\nevent = "lead.created"\nactions = ["http:crm:POST:/leads"]\n'
        '[[sync]]\nname = "nightly"\nschedule = "0 3 * * *"\n'
        'source = "crm:GET:/contracts?since={cursor}"\ntarget = "crm:POST:/copies"\n',
    )
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        key = (daemon.data_dir / "api_key").read_text().strip()
        event = {
            "id": "lead_1",
            "type": "lead.created",
            "occurred_at": "2026-11-26T10:00:00-03:00",
            "data": {"id": "l1", "name": "Ana"},
        }
        answer = httpx.post(
            f"{daemon.public_url}/api/v1/events", json=event, headers={"X-API-Key": key}
        )
        assert answer.status_code == 202
        deadline = time.monotonic() + 15
        while "lead_1" not in (listed := cli(config, "dlq", "list")).stdout:
            assert time.monotonic() < deadline, listed
            time.sleep(0.2)
        assert "http:crm:POST:/leads" in listed.stdout and "422" in listed.stdout
        assert listed.stdout.strip().endswith("1 dead (page 1)")
        item_id = listed.stdout.split()[0]

        archived = cli(config, "dlq", "archive", item_id)
        assert archived.returncode == 0 and "Item archived" in archived.stdout
        refused = cli(config, "dlq", "retry", item_id)
        assert refused.returncode == 1 and "409" in refused.stderr
        assert cli(config, "dlq", "retry", "999").returncode == 1
        assert "lead_1" in cli(config, "dlq", "list", "--archived").stdout

        breakers = cli(config, "breakers", "list")
        assert breakers.stdout.split()[:2] == ["crm", "closed"]
        reset = cli(config, "breakers", "reset", "crm")
        assert reset.stdout.strip() == "crm: closed (failures 0)"
        assert cli(config, "breakers", "reset", "nope").returncode == 1

        started = cli(config, "sync", "run", "nightly")
        assert started.returncode == 0 and "Sync run started" in started.stdout
        deadline = time.monotonic() + 15
        while "(failed)" not in (jobs := cli(config, "sync", "list")).stdout:
            assert time.monotonic() < deadline, jobs
            time.sleep(0.2)
        assert "recent_failures=1" in jobs.stdout

        report = cli(config, "report", "daily")
        assert report.returncode == 0
        assert "events: 1 total, 0 processed, 1 failed" in report.stdout
        assert "sync nightly: 0/1 runs done" in report.stdout
        bad_date = cli(config, "report", "daily", "--date", "26/11/2026")
        assert bad_date.returncode == 1 and "YYYY-MM-DD" in bad_date.stderr
        status = cli(config, "status")
        assert "dead letters: 0" in status.stdout
        audit = httpx.get(f"{daemon.operator_url}/audit.json").json()["items"]
        assert {"dlq.archive", "breaker.reset", "sync.run"} <= {a["action"] for a in audit}
    finally:
        assert daemon.terminate() == 0
