"""A cron schedule that never fires is a config problem, and a job whose schedule cannot be
planned at run time is set aside alone: the sync runner and the other jobs go on."""

from __future__ import annotations

import calendar
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import trio
from hypothesis import given
from hypothesis import strategies as st

from recado.clock import TrioClock
from recado.rules.schedule import schedule_problem
from recado.testing.service_double import ServiceDouble
from tests.hub_helpers import hub_stack, real_pause
from tests.webhook_helpers import query

TZ = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _fires(day: int, month: int) -> bool:
    """Whether any year from now on has that day in that month (February 29 included)."""
    return any(day <= calendar.monthrange(NOW.year + k, month)[1] for k in range(9))


@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    days=st.lists(st.integers(1, 31), min_size=1, max_size=3, unique=True),
    months=st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True),
)
def test_a_schedule_is_refused_exactly_when_no_date_matches_it(
    minute: int, hour: int, days: list[int], months: list[int]
) -> None:
    schedule = f"{minute} {hour} {','.join(map(str, days))} {','.join(map(str, months))} *"
    fires = any(_fires(d, m) for d in days for m in months)
    problem = schedule_problem(schedule, NOW, TZ)
    assert (problem is None) == fires, (schedule, problem)
    if not fires:
        assert problem is not None and problem.startswith("never fires")


def test_a_year_that_has_passed_is_refused_too() -> None:
    assert schedule_problem("0 0 1 1 * 0 2020", NOW, TZ) is not None
    assert schedule_problem("0 0 1 1 * 0 2030", NOW, TZ) is None


def test_check_config_names_a_schedule_that_never_fires(tmp_path: Path) -> None:
    (tmp_path / "crm.token").write_text("t")
    config = tmp_path / "config.toml"
    config.write_text(
        '[daemon]\ndata_dir = "./var"\n'
        '[[services]]\nname = "crm"\nbase_url = "http://127.0.0.1:9"\n'
        '[[sync]]\nname = "monthly"\nschedule = "0 0 30 2 *"\n'
        'source = "crm:GET:/x?since={cursor}"\ntarget = "crm:POST:/y"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "recado", "check-config", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'sync[0].schedule: "0 0 30 2 *" never fires' in done.stdout + done.stderr


JOBS = """
[[sync]]
name = "ended"
schedule = "0 0 1 1 * 0 2070"
source = "crm:GET:/old?since={cursor}"
target = "ops:POST:/old"
[[sync]]
name = "live"
schedule = "*/5 * * * *"
source = "crm:GET:/live?since={cursor}"
target = "ops:POST:/live"
"""


async def test_a_job_whose_fires_ran_out_is_set_aside_and_the_others_run(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    """The config was checked in 2026, when the schedule still had a fire; the daemon runs
    in 2099, when it has none: croniter raises on every plan. That job is named on the sync
    page and the dashboard and can still run by hand; the other job runs on time; no actor
    restarts (hub_stack asserts it)."""
    clock = TrioClock(datetime(2099, 3, 1, 12, 1, tzinfo=UTC))
    crm = ServiceDouble("crm")
    crm.pages = {"": {"items": [{"id": "a"}], "next_cursor": None}}
    doubles = {"crm": crm, "ops": ServiceDouble("ops")}
    async with hub_stack(daemon_dir, extra=JOBS, clock=clock, doubles=doubles) as hub:
        await real_pause()
        jobs = (await hub.get("/sync"))["jobs"]
        assert jobs["ended"]["problem"] == "schedule"
        assert "has no fire after" in jobs["ended"]["problem_detail"]
        assert jobs["ended"]["next_run"] is None
        assert jobs["live"]["problem"] is None
        assert jobs["live"]["next_run"] == "2099-03-01T12:05:00.000Z"
        dash = await hub.get("/dashboard.json")
        (reason,) = [r for r in dash["reasons"] if r["code"] == "sync_set_aside"]
        assert reason["severity"] == "degraded" and "ended" in reason["text"]
        assert "não tem próxima execução" in reason["text"]

        mock_clock.jump(4 * 60 + 1)
        runs = "SELECT job, trigger, status FROM sync_runs ORDER BY id"
        await hub.until(runs, [{"job": "live", "trigger": "schedule", "status": "done"}])

        assert (await hub.post("/sync/ended/run")).status_code == 202
        await hub.until(
            runs,
            [
                {"job": "live", "trigger": "schedule", "status": "done"},
                {"job": "ended", "trigger": "manual", "status": "done"},
            ],
        )
        # Still set aside after its manual run: the schedule has not changed.
        await real_pause()
        assert (await hub.get("/sync"))["jobs"]["ended"]["problem"] == "schedule"
        assert query(hub.daemon, "SELECT COUNT(*) AS n FROM sync_runs WHERE job = 'ended'") == [
            {"n": 1}
        ]
