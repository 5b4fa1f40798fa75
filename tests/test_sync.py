"""Sync jobs against a paging source and a target, both real HTTP doubles on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import trio

from recado.clock import TrioClock
from recado.testing.service_double import ServiceDouble
from tests.hub_helpers import hub_stack, real_pause
from tests.webhook_helpers import query

SYNC = """
[[sync]]
name = "crm_ops"
schedule = "*/5 * * * *"
source = "crm:GET:/contracts?status=active&since={cursor}"
target = "ops:POST:/schedules"
"""
RUNS = (
    "SELECT trigger, status, items_read, items_written, cursor_before, cursor_after FROM sync_runs"
)


def paged_source() -> dict[str, ServiceDouble]:
    crm = ServiceDouble("crm")
    crm.pages = {
        "": {"items": [{"id": "k1", "n": 1}, {"id": "k2", "n": 2}], "next_cursor": "2026-11-01"},
        "2026-11-01": {"items": [{"id": "k3", "n": 3}], "next_cursor": "2026-11-02"},
        "2026-11-02": {"items": [], "next_cursor": None},
    }
    return {"crm": crm, "ops": ServiceDouble("ops")}


async def test_scheduled_run_pages_through_and_moves_the_cursor(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 11, 26, 12, 1, tzinfo=UTC))
    doubles = paged_source()
    async with hub_stack(daemon_dir, extra=SYNC, clock=clock, doubles=doubles) as hub:
        await real_pause()
        assert query(hub.daemon, RUNS) == []  # a new job waits for its first fire
        report = await hub.get("/report/daily?date=2026-11-26")
        assert report["sync_jobs"] == {"crm_ops": {"total": 0, "success": 0}}
        job = (await hub.get("/sync"))["jobs"]["crm_ops"]
        assert job["next_run"] == "2026-11-26T12:05:00.000Z"
        mock_clock.jump(4 * 60 + 1)
        await hub.until(
            RUNS,
            [
                {
                    "trigger": "schedule",
                    "status": "done",
                    "items_read": 3,
                    "items_written": 3,
                    "cursor_before": "",
                    "cursor_after": "2026-11-02",
                }
            ],
        )
        gets = doubles["crm"].received("GET")
        assert [r.query for r in gets] == [
            {"status": "active", "since": ""},
            {"status": "active", "since": "2026-11-01"},
            {"status": "active", "since": "2026-11-02"},
        ]
        posted = doubles["ops"].received()
        assert [(r.path, r.key, r.body["n"]) for r in posted] == [
            ("/schedules", "sync:crm_ops:k1", 1),
            ("/schedules", "sync:crm_ops:k2", 2),
            ("/schedules", "sync:crm_ops:k3", 3),
        ]
        assert posted[0].headers["x-token"] == "secret-ops"
        job = (await hub.get("/sync"))["jobs"]["crm_ops"]
        assert job["last_status"] == "done" and job["cursor"] == "2026-11-02"
        assert job["recent_failures"] == 0 and job["duration_seconds"] is not None
        dash = await hub.get("/dashboard.json")
        assert dash["sync"]["crm_ops"]["last_status"] == "done"
        assert set(dash["sync"]["crm_ops"]) == {
            "last_run",
            "last_status",
            "recent_failures",
            "duration_seconds",
        }


async def test_failure_mid_run_leaves_the_cursor(daemon_dir: Path) -> None:
    doubles = paged_source()
    doubles["crm"].fail_after_pages = 1
    async with hub_stack(daemon_dir, extra=SYNC, doubles=doubles) as hub:
        started = await hub.post("/sync/crm_ops/run")
        assert started.status_code == 202
        assert started.json() == {"message": "Sync run started", "job": "crm_ops"}
        await hub.until("SELECT status FROM sync_runs", [{"status": "failed"}])
        (run,) = query(hub.daemon, "SELECT * FROM sync_runs")
        assert (run["items_read"], run["items_written"]) == (2, 2)
        assert run["cursor_before"] == "" and run["cursor_after"] == ""
        assert "HTTP 500" in run["error"]
        assert query(hub.daemon, "SELECT cursor FROM sync_state") == [{"cursor": ""}]
        # Fixed: the next run reads from the same place; the target sees the same keys again.
        doubles["crm"].fail_after_pages = None
        assert (await hub.post("/sync/crm_ops/run")).status_code == 202
        await hub.until(
            "SELECT status FROM sync_runs ORDER BY id", [{"status": "failed"}, {"status": "done"}]
        )
        assert query(hub.daemon, "SELECT cursor FROM sync_state") == [{"cursor": "2026-11-02"}]
        assert doubles["ops"].keys() == [
            "sync:crm_ops:k1",
            "sync:crm_ops:k2",
            "sync:crm_ops:k1",
            "sync:crm_ops:k2",
            "sync:crm_ops:k3",
        ]
        report = await hub.get("/report/daily")
        assert report["sync_jobs"] == {"crm_ops": {"total": 2, "success": 1}}
        assert (await hub.get("/sync"))["jobs"]["crm_ops"]["recent_failures"] == 1
        assert (await hub.post("/sync/nope/run")).status_code == 404
        audit = query(hub.daemon, "SELECT action, target FROM audit_log WHERE action = 'sync.run'")
        assert len(audit) == 2


async def test_missed_fire_runs_once_at_start(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    t0 = datetime(2026, 11, 26, 12, 1, tzinfo=UTC)
    async with hub_stack(daemon_dir, extra=SYNC, clock=TrioClock(t0), doubles=paged_source()):
        await real_pause()
    # Down for three hours: 36 fires missed, one run at start, then the schedule again.
    later = TrioClock(t0 + timedelta(hours=3))
    async with hub_stack(daemon_dir, extra=SYNC, clock=later, doubles=paged_source()) as hub:
        await hub.until(
            "SELECT trigger, status FROM sync_runs", [{"trigger": "catch_up", "status": "done"}]
        )
        await real_pause()
        assert len(query(hub.daemon, "SELECT id FROM sync_runs")) == 1
        mock_clock.jump(5 * 60)
        await hub.until(
            "SELECT trigger FROM sync_runs ORDER BY id",
            [{"trigger": "catch_up"}, {"trigger": "schedule"}],
        )


async def test_no_overlapping_runs(daemon_dir: Path, mock_clock: trio.testing.MockClock) -> None:
    clock = TrioClock(datetime(2026, 11, 26, 12, 1, tzinfo=UTC))
    doubles = paged_source()
    doubles["crm"].hang()
    async with hub_stack(daemon_dir, extra=SYNC, clock=clock, doubles=doubles, timeout_s=60) as hub:
        assert (await hub.post("/sync/crm_ops/run")).status_code == 202
        await hub.until("SELECT status FROM sync_runs", [{"status": "running"}])
        busy = await hub.post("/sync/crm_ops/run")
        assert busy.status_code == 409 and busy.json()["error"] == "already_running"
        assert (await hub.get("/sync"))["jobs"]["crm_ops"]["running"] is True
        # The 12:05 fire passes while the manual run hangs: it waits for the hung run to
        # time out (60 s) and only then starts.
        mock_clock.jump(4 * 60 + 1)
        await hub.until(
            "SELECT trigger, status FROM sync_runs ORDER BY id",
            [
                {"trigger": "manual", "status": "failed"},
                {"trigger": "schedule", "status": "running"},
            ],
        )
        first, second = query(hub.daemon, "SELECT * FROM sync_runs ORDER BY id")
        assert "timeout" in first["error"]
        assert second["started_at"] >= first["finished_at"]
        assert len(doubles["crm"].received("GET")) == 2
        doubles["crm"].ok()
        mock_clock.jump(61)
        await hub.until("SELECT COUNT(*) AS n FROM sync_runs WHERE status = 'failed'", [{"n": 2}])
        assert (await hub.post("/sync/crm_ops/run")).status_code == 202
        await hub.until("SELECT COUNT(*) AS n FROM sync_runs WHERE status = 'done'", [{"n": 1}])
        assert (await hub.get("/dashboard.json"))["sync"]["crm_ops"]["recent_failures"] == 2
