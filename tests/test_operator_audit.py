"""Every operator action that changes rows writes its audit row in the same transaction: when
the audit row cannot be written, the action did not happen either (and the other way round).

The audit log is made to refuse one action's rows with a trigger; the action then answers an
error and leaves the records exactly as they were; without the trigger it takes effect and
is audited once."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import trio

from recado.clock import TrioClock
from recado.runtime.context import Daemon
from recado.storage.sync import start_run
from tests.conftest import running_daemon
from tests.hub_helpers import hub_stack
from tests.webhook_helpers import query


def refuse_audit(daemon: Daemon, action: str) -> None:
    """From now on the audit log refuses rows of ``action`` (as a full disk would refuse the
    second write of a two-write action)."""
    with sqlite3.connect(daemon.storage.path, timeout=10) as conn:
        conn.execute(
            f"CREATE TRIGGER refuse_{action.replace('.', '_')} BEFORE INSERT ON audit_log "
            f"WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
        )


def allow_audit(daemon: Daemon, action: str) -> None:
    with sqlite3.connect(daemon.storage.path, timeout=10) as conn:
        conn.execute(f"DROP TRIGGER refuse_{action.replace('.', '_')}")


def audited(daemon: Daemon, action: str) -> list[dict[str, object]]:
    return query(daemon, "SELECT target FROM audit_log WHERE action = ?", action)


@pytest.mark.parametrize("on", [True, False])
async def test_kill_switch_and_its_audit_row_are_one(daemon_dir: Path, on: bool) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        url = f"{daemon.listeners['operator'].url}/whatsapp/kill-switch"
        headers = {"X-API-Key": daemon.api_key}
        if not on:
            assert (await client.post(url, json={"on": True}, headers=headers)).status_code == 200
        before = query(daemon, "SELECT key, value_json FROM settings WHERE key = 'kill_switch'")
        refuse_audit(daemon, "whatsapp.kill_switch")
        refused = await client.post(url, json={"on": on}, headers=headers)
        assert refused.status_code == 500
        assert query(daemon, "SELECT key, value_json FROM settings WHERE key = 'kill_switch'") == (
            before
        )
        assert daemon.kill_switch_on is (not on)
        allow_audit(daemon, "whatsapp.kill_switch")
        done = await client.post(url, json={"on": on}, headers=headers)
        assert done.json()["kill_switch"] is on
        assert daemon.kill_switch_on is on
        assert audited(daemon, "whatsapp.kill_switch")[-1] == {"target": "on" if on else "off"}


async def test_breaker_reset_and_its_audit_row_are_one(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:finance:POST:/payments"]\n'
    clock = TrioClock(datetime.now(UTC))
    options = {"threshold": 1, "open_s": 3600}
    async with hub_stack(daemon_dir, ("finance",), flows, clock=clock, **options) as hub:
        hub.services["finance"].fail(500)
        await hub.event("pay_1", "payment.received")
        await hub.until(
            "SELECT state, failure_count FROM breakers", [{"state": "open", "failure_count": 1}]
        )
        refuse_audit(hub.daemon, "breaker.reset")
        assert (await hub.post("/circuit-breakers/finance/reset")).status_code == 500
        assert query(hub.daemon, "SELECT state, failure_count FROM breakers") == [
            {"state": "open", "failure_count": 1}
        ]
        assert hub.daemon.breakers.states["finance"].state == "open"
        assert audited(hub.daemon, "breaker.reset") == []
        allow_audit(hub.daemon, "breaker.reset")
        assert (await hub.post("/circuit-breakers/finance/reset")).status_code == 200
        assert query(hub.daemon, "SELECT state FROM breakers") == [{"state": "closed"}]
        assert audited(hub.daemon, "breaker.reset") == [{"target": "finance"}]


@pytest.mark.parametrize(("verb", "action"), [("retry", "dlq.retry"), ("archive", "dlq.archive")])
async def test_dlq_actions_and_their_audit_rows_are_one(
    daemon_dir: Path, verb: str, action: str
) -> None:
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:finance:POST:/payments"]\n'
    async with hub_stack(daemon_dir, ("finance",), flows) as hub:
        hub.services["finance"].fail(422)
        await hub.event("pay_1", "payment.received")
        await hub.until("SELECT state FROM deliveries", [{"state": "dead"}])
        (item,) = hub.deliveries()
        refuse_audit(hub.daemon, action)
        assert (await hub.post(f"/dlq/{item['id']}/{verb}")).status_code == 500
        assert hub.deliveries() == [item]
        allow_audit(hub.daemon, action)
        assert (await hub.post(f"/dlq/{item['id']}/{verb}")).status_code == 200
        assert audited(hub.daemon, action) == [{"target": str(item["id"])}]


async def test_a_sync_run_asked_for_is_audited_with_its_start(daemon_dir: Path) -> None:
    """The audit row of "run it now" is written by the run's start: no run, no row; a run,
    one row naming who asked."""
    async with running_daemon(daemon_dir) as daemon:
        now = daemon.clock.now()
        refuse_audit(daemon, "sync.run")
        with pytest.raises(sqlite3.IntegrityError):
            await daemon.storage.write(start_run, "nightly", "manual", now, "", "10.0.0.7")
        assert query(daemon, "SELECT id FROM sync_runs") == []
        allow_audit(daemon, "sync.run")
        run_id = await daemon.storage.write(start_run, "nightly", "manual", now, "", "10.0.0.7")
        await daemon.storage.write(start_run, "nightly", "schedule", now, "")
        assert query(daemon, "SELECT id, trigger FROM sync_runs") == [
            {"id": run_id, "trigger": "manual"},
            {"id": run_id + 1, "trigger": "schedule"},
        ]
        assert query(
            daemon, "SELECT target, source_ip FROM audit_log WHERE action = 'sync.run'"
        ) == [{"target": "nightly", "source_ip": "10.0.0.7"}]
