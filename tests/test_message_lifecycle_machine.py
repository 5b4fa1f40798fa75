"""The message lifecycle as a hypothesis state machine against the real daemon, its storage and
the Graph double (issue 17, item 6): bookings, reschedules and cancellations, Meta's statuses
in any order and repetition (also for wamids that are not ours), Graph failures (transient,
permanent, a dropped connection), operator retries and discards, the kill switch and restarts
on the same database. After every step, once the daemon has settled:

- never backwards: a message's state only moves forward, except by an operator's retry or
  discard;
- never sent twice: Meta accepts a job at most once per (operator) retry;
- nothing called off is sent: a canceled or skipped job gets no request until retried;
- every state explained: a side state has its reason (and the page's sentence for it), a sent
  state its wamid, every status that did not apply its reason.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from recado.rules import states as s
from recado.rules.status_order import RANK
from tests.lifecycle_harness import Harness

APTS = ("apt-a", "apt-b")
# In the past (skipped), within the reminder's 24 h (due now), later (the reminder waits).
STARTS = (timedelta(hours=-1), timedelta(hours=3), timedelta(hours=20), timedelta(days=3))
META_STATUSES = (s.SENT, s.DELIVERED, s.READ, s.PLAYED, s.FAILED)
CALLED_OFF = (s.CANCELED, s.SKIPPED)
SENT_OR_LATER = (s.SENT, s.DELIVERED, s.READ, s.PLAYED)
RECIPIENT = "5511987654321"
BASE_TS = 1_767_225_800


def backwards(before: str, after: str) -> bool:
    """Whether ``before`` → ``after`` undoes what happened (no operator retry between)."""
    if before == after:
        return False
    if before in s.MESSAGE_FLOW and after in s.MESSAGE_FLOW:
        return RANK[after] < RANK[before]
    if before in (s.FAILED, *CALLED_OFF):
        return True  # final until an operator retries it
    if before in SENT_OR_LATER:
        # Meta's failed may follow sent, nothing else leaves a sent message.
        return not (before == s.SENT and after == s.FAILED)
    if before == s.DEAD:
        return after in (s.QUEUED, s.SENDING, *CALLED_OFF)
    return False


class MessageLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory(prefix="recado-lifecycle-")
        self.h = Harness(Path(self._tmp.name) / "d", "max_attempts = 3\n")
        self.events = itertools.count()
        self.retries: Counter[str] = Counter()  # operator retries accepted, per job
        self.acted: Counter[str] = Counter()  # operator retries and discards accepted
        self.seen: dict[str, tuple[str, int]] = {}  # job -> (state, actions then)
        self.called_off_at: dict[tuple[str, int], int] = {}  # requests when called off
        self.steps: list[str] = []

    def teardown(self) -> None:
        self.h.close()
        self._tmp.cleanup()

    # -- helpers ----------------------------------------------------------------------------

    def _jobs(self, sent_only: bool = False) -> list[dict[str, Any]]:
        where = "WHERE wamid IS NOT NULL" if sent_only else ""
        return self.h.query(f"SELECT id, wamid, state FROM messages {where} ORDER BY id")

    def _done(self, what: str) -> None:
        self.steps.append(what)
        self.h.quiet()

    # -- rules ------------------------------------------------------------------------------

    @initialize(apt=st.sampled_from(APTS), starts=st.sampled_from(STARTS))
    def first_booking(self, apt: str, starts: timedelta) -> None:
        self.book(apt, starts)

    @rule(apt=st.sampled_from(APTS), starts=st.sampled_from(STARTS))
    def book(self, apt: str, starts: timedelta) -> None:
        self.h.book(apt, f"evt-{next(self.events)}", "appointment.created", starts)
        self._done(f"book {apt} {starts}")

    @rule(apt=st.sampled_from(APTS), starts=st.sampled_from(STARTS))
    def reschedule(self, apt: str, starts: timedelta) -> None:
        self.h.book(apt, f"evt-{next(self.events)}", "appointment.rescheduled", starts)
        self._done(f"reschedule {apt} {starts}")

    @rule(apt=st.sampled_from(APTS), notify=st.booleans())
    def cancel(self, apt: str, notify: bool) -> None:
        eid = f"evt-{next(self.events)}"
        self.h.book(apt, eid, "appointment.canceled", timedelta(0), notify_client=notify)
        self._done(f"cancel {apt} notify={notify}")

    @rule(n=st.integers(1, 3), how=st.sampled_from(["transient", "permanent", "dropped"]))
    def graph_fails_next(self, n: int, how: str) -> None:
        if how == "transient":
            self.h.double.fail_next(n, 131000, http_status=500)
        elif how == "permanent":
            self.h.double.fail_next(n, 131026, http_status=400)
        else:
            self.h.double.drop_next(1)
        self.steps.append(f"graph {how} x{n}")

    @precondition(lambda self: bool(self._jobs(sent_only=True)))
    @rule(
        pick=st.integers(0, 50),
        status=st.sampled_from(META_STATUSES),
        shift=st.integers(-5, 5),
        repeat=st.integers(1, 2),
    )
    def meta_status(self, pick: int, status: str, shift: int, repeat: int) -> None:
        jobs = self._jobs(sent_only=True)
        job = jobs[pick % len(jobs)]
        body = self.h.double.status_body(
            job["wamid"], status, RECIPIENT, callback_data=job["id"], ts=BASE_TS + shift
        )
        for _ in range(repeat):
            self.h.webhook(body)
        self._done(f"status {status} x{repeat} ts{shift:+d} for {job['id']}")

    @rule(status=st.sampled_from(META_STATUSES))
    def status_of_a_wamid_not_ours(self, status: str) -> None:
        body = self.h.double.status_body("wamid.NOT-OURS", status, RECIPIENT, ts=BASE_TS)
        self.h.webhook(body)
        self._done(f"status {status} of a wamid not ours")

    @precondition(lambda self: bool(self._jobs()))
    @rule(pick=st.integers(0, 50), action=st.sampled_from(["retry", "discard"]))
    def operator_acts(self, pick: int, action: str) -> None:
        jobs = self._jobs()
        job = jobs[pick % len(jobs)]
        answer = self.h.operator(f"/messages/{job['id']}/{action}")
        assert answer.status_code in (200, 409), answer.text
        if answer.status_code == 409:
            assert answer.json()["error"] == "not_allowed" and answer.json()["reason"]
        else:
            # An operator's word moves a message on purpose (a retry even back to queued).
            self.acted[job["id"]] += 1
            self.retries[job["id"]] += action == "retry"
        self._done(f"{action} {job['id']} ({job['state']}) -> {answer.status_code}")

    @rule(on=st.booleans())
    def kill_switch(self, on: bool) -> None:
        answer = self.h.operator("/whatsapp/kill-switch", {"on": on})
        assert answer.status_code == 200, answer.text
        self._done(f"kill switch {on}")

    @rule()
    def restart(self) -> None:
        self.h.restart()
        self._done("restart")

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def the_lifecycle_holds(self) -> None:
        rows = self.h.query("SELECT id, state, wamid, reason_code, due_at FROM messages")
        requests = self.h.double.sends()
        asked = Counter(r.callback_data for r in requests)
        accepted = Counter(r.callback_data for r in requests if r.answered == "ok")
        where = " → ".join(self.steps[-8:])
        for row in rows:
            job, state, epoch = row["id"], row["state"], self.acted[row["id"]]
            before = self.seen.get(job)
            if before is not None and before[1] == epoch:
                assert not backwards(before[0], state), f"{job}: {before[0]} → {state}; {where}"
            self.seen[job] = (state, epoch)
            retried = self.retries[job]
            assert accepted[job] <= 1 + retried, f"{job} accepted by Meta twice; {where}"
            if state in CALLED_OFF:
                mark = self.called_off_at.setdefault((job, epoch), asked[job])
                assert asked[job] == mark, f"{job} is {state} and was sent; {where}"
            if state in s.MESSAGE_SIDE:
                assert row["reason_code"], f"{job} is {state} with no reason; {where}"
            if state in SENT_OR_LATER:
                assert row["wamid"], f"{job} is {state} with no wamid; {where}"
            if state == s.QUEUED:
                assert row["due_at"], f"{job} is queued with no due time; {where}"
        self._pages_explain(rows, where)
        unexplained = self.h.query(
            "SELECT id, status FROM message_statuses "
            "WHERE outcome = 'ignored' AND ignored_reason IS NULL"
        )
        assert not unexplained, f"statuses ignored with no reason: {unexplained}; {where}"

    def _pages_explain(self, rows: list[dict[str, Any]], where: str) -> None:
        for row in rows:
            if row["state"] in s.MESSAGE_SIDE:
                page = self.h.page(f"/messages/{row['id']}.json")
                text = page["message"]["reason_text"]
                assert text and text != row["reason_code"], f"{row['id']}: {text!r}; {where}"


MessageLifecycle.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=15,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_message_lifecycle = MessageLifecycle.TestCase
