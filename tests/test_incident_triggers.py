"""Each automatic trigger of the SOP against the real daemon and the doubles, on a mock clock:
the incident opens within a minute of its threshold being crossed, once, however long the
fault lasts; a second occurrence joins it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import trio
import trio.testing

from recado.clock import parse_iso
from recado.daemon.main import ActorSpec
from recado.runtime.context import Daemon
from recado.storage.faults import StorageFault
from recado.storage.sending import set_setting
from tests.fault_helpers import LockHolder
from tests.incident_helpers import TUESDAY_10H, Stack, incident_stack

MINUTE = 60.0


def at(row: dict[str, Any], key: str) -> datetime:
    return parse_iso(row[key])


async def stays_one(s: Stack, cause: str, minutes: float = 5) -> None:
    """However long the fault lasts, one incident (and one opening on its timeline)."""
    await s.advance(minutes * MINUTE, step=20)
    (incident,) = s.of_cause(cause)
    openings = s.rows(
        "SELECT COUNT(*) AS n FROM incident_timeline WHERE incident_id = ? AND kind = 'opened'",
        incident["id"],
    )
    assert openings == [{"n": 1}]


async def test_meta_refusing_the_token_opens_a_sev1_within_a_minute_and_its_clock_alerts(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        s.graph.fail_next(1, 190, http_status=401, subcode=463)
        await s.book("apt-1")
        await s.until(lambda: s.daemon.sending_paused is not None, within_s=5)
        paused_at = parse_iso(s.daemon.sending_paused["at"])  # type: ignore[index]
        await s.until(lambda: bool(s.of_cause("auth_broken")), within_s=MINUTE)
        (incident,) = s.of_cause("auth_broken")
        assert (incident["severity"], incident["priority"]) == ("sev1", "P1")
        assert at(incident, "started_at") == paused_at
        assert at(incident, "opened_at") - paused_at <= timedelta(minutes=1)
        assert "190" in incident["description"]
        # The auth alert is on its timeline, collected by the outbox.
        await s.advance(20)
        kinds = [r["kind"] for r in s.rows("SELECT kind FROM incident_timeline ORDER BY id")]
        assert kinds[0] == "opened" and "alert" in kinds
        await stays_one(s, "auth_broken")
        # Nobody responded within 15 minutes (P1): the response clock alerts, once.
        missed = "SELECT subject FROM alerts WHERE code = 'incident_sla_missed'"
        due = at(incident, "opened_at") + timedelta(minutes=15)
        await s.advance((due - s.now()).total_seconds() - 1, step=20)
        assert s.rows(missed) == []
        await s.until(lambda: bool(s.rows(missed)), within_s=MINUTE)
        await s.advance(2 * MINUTE, step=20)
        assert s.rows(missed) == [{"subject": f"{incident['id']}:response"}]


async def test_graph_5xx_for_five_minutes_opens_external_instability_within_a_minute(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, extra="max_attempts = 100\n") as s:
        s.graph.answer_next(500, 503)
        await s.book("apt-1")
        first = "SELECT MIN(finished_at) AS t FROM message_attempts WHERE http_status = 503"
        await s.until(lambda: s.rows(first)[0]["t"] is not None, within_s=5)
        threshold = parse_iso(s.rows(first)[0]["t"]) + timedelta(minutes=5)
        await s.advance((threshold - s.now()).total_seconds() - 1, step=10)
        assert s.of_cause("graph_unstable") == []
        await s.until(lambda: bool(s.of_cause("graph_unstable")), within_s=MINUTE, step=10)
        (incident,) = s.of_cause("graph_unstable")
        assert incident["title"] == "Instabilidade externa (Meta)"
        assert incident["severity"] == "sev2"
        assert at(incident, "opened_at") - threshold <= timedelta(minutes=1)
        await stays_one(s, "graph_unstable")


async def test_webhook_silence_while_sends_succeed_opens_a_sev2_in_business_hours(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock, statuses=False) as s:
        await s.book("apt-1")
        sent = "SELECT finished_at FROM message_attempts WHERE outcome = 'sent'"
        await s.until(lambda: bool(s.rows(sent)), within_s=5)
        threshold = parse_iso(s.rows(sent)[0]["finished_at"]) + timedelta(minutes=30)
        await s.advance((threshold - s.now()).total_seconds() - 1, step=20)
        assert s.of_cause("webhook_silence") == []
        await s.until(lambda: bool(s.of_cause("webhook_silence")), within_s=MINUTE)
        (incident,) = s.of_cause("webhook_silence")
        assert incident["severity"] == "sev2"
        assert at(incident, "opened_at") - threshold <= timedelta(minutes=1)
        await stays_one(s, "webhook_silence")


async def test_webhook_silence_at_night_is_no_incident(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    night = TUESDAY_10H + timedelta(hours=11)  # 21:00 in São Paulo
    async with incident_stack(daemon_dir, mock_clock, statuses=False, start=night) as s:
        await s.book("apt-1")
        await s.advance(3 * 60 * MINUTE, step=60)  # until midnight
        assert s.of_cause("webhook_silence") == []


async def test_more_than_ten_percent_of_sends_failing_opens_a_sev2(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        # Two numbers Meta cannot deliver to (131026), eight it accepts: 20 %.
        s.graph.fail_next(2, 131026, http_status=400)
        for n in range(10):
            await s.book(f"apt-{n}", phone=f"+55119876500{n:02d}")
        done = "SELECT COUNT(*) AS n FROM message_attempts WHERE finished_at IS NOT NULL"
        await s.until(lambda: s.rows(done)[0]["n"] == 10, within_s=5)
        last = "SELECT MAX(finished_at) AS t FROM message_attempts"
        crossed = parse_iso(s.rows(last)[0]["t"])
        await s.until(lambda: bool(s.of_cause("send_failures")), within_s=MINUTE)
        (incident,) = s.of_cause("send_failures")
        assert incident["severity"] == "sev2"
        assert at(incident, "opened_at") - crossed <= timedelta(minutes=1)
        assert "2 de 10 envios falharam" in incident["description"]
        await stays_one(s, "send_failures")


async def test_a_storage_that_takes_no_writes_leaves_a_sev1_once_it_does_again(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        holder = await trio.to_thread.run_sync(LockHolder, s.daemon.storage.path)
        with holder:
            # A commit meets the lock (after busy_timeout) and the fault is known.
            await _write_meets_the_lock(s)
            fault = s.daemon.storage.fault
            assert fault is not None and fault.kind == "locked"
            # The monitor detects it on its next checks; nothing can be written meanwhile.
            await s.advance(MINUTE, step=20)
            await trio.to_thread.run_sync(holder.release)
        await s.until(lambda: bool(s.of_cause("storage_fault")), within_s=MINUTE)
        (incident,) = s.of_cause("storage_fault")
        assert incident["severity"] == "sev1"
        assert at(incident, "started_at") == fault.since
        assert at(incident, "opened_at") - fault.since <= timedelta(minutes=1)
        await stays_one(s, "storage_fault")
        # Storage works again: the condition is over, the incident waits for people.
        assert s.of_cause("storage_fault")[0]["cause_active"] == 0


async def _write_meets_the_lock(s: Stack) -> None:
    try:
        await s.daemon.storage.write(set_setting, "probe", 1, s.now())
    except StorageFault:
        return
    raise AssertionError("the write went through the lock")


class Flaky:
    """An actor that raises at once while ``failing`` is set, as a bug in a loop would."""

    def __init__(self) -> None:
        self.failing = True
        self._changed = trio.Event()

    def fail(self, failing: bool) -> None:
        self.failing = failing
        self._changed.set()
        self._changed = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while not self.failing:
            await self._changed.wait()
        raise RuntimeError("a bug in a loop")


async def test_an_actor_crash_looping_opens_a_sev1_and_a_second_loop_joins_it(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flaky = Flaky()

    def actors(_: Daemon) -> Sequence[ActorSpec]:
        return [ActorSpec("flaky", flaky.run)]

    async with incident_stack(daemon_dir, mock_clock, extra_actors=actors) as s:
        await s.until(lambda: "flaky" in s.daemon.supervisor.crash_looping(), within_s=10, step=1)
        looping_at = s.now()
        await s.until(lambda: bool(s.of_cause("actor_crash_loop")), within_s=MINUTE)
        (incident,) = s.of_cause("actor_crash_loop")
        assert incident["severity"] == "sev1" and "flaky" in incident["description"]
        assert at(incident, "opened_at") - looping_at <= timedelta(minutes=1)
        await stays_one(s, "actor_crash_loop", minutes=1)
        # Fixed: up for a minute, the loop is over; the incident stays open for people.
        flaky.fail(False)
        await s.until(lambda: s.of_cause("actor_crash_loop")[0]["cause_active"] == 0, 3 * MINUTE)
        # Broken again: the same incident, one more line on its timeline.
        flaky.fail(True)
        await s.until(
            lambda: s.of_cause("actor_crash_loop")[0]["cause_active"] == 1, 3 * MINUTE, step=1
        )
        (same,) = s.of_cause("actor_crash_loop")
        assert same["id"] == incident["id"]
        kinds = [
            r["kind"]
            for r in s.rows(
                "SELECT kind FROM incident_timeline WHERE incident_id = ? ORDER BY id",
                incident["id"],
            )
        ]
        assert kinds.count("opened") == 1
        assert "cleared" in kinds and "trigger" in kinds
        assert kinds.index("cleared") < kinds.index("trigger")
