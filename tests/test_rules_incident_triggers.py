"""The SOP's trigger criteria as pure rules: each cause fires at its threshold and not before,
in the studio's business hours where that matters, with the instant its fault began."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.rules.business_hours import HoursError, parse_business_hours, parse_hours, within
from recado.rules.incident_triggers import (
    SEVERITY,
    TriggerFacts,
    TriggerRules,
    evaluate,
    restarting_in_a_loop,
)

TZ = ZoneInfo("America/Sao_Paulo")
# A Tuesday, 10:00 in São Paulo.
NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
RULES = TriggerRules(
    graph_failure_s=300,
    webhook_silence_s=1800,
    failure_rate=0.10,
    failure_window_s=1800,
    failure_min_sends=10,
    business_hours=parse_business_hours(["mon-fri 08:00-18:00", "sat 08:00-12:00"]),
    tz=TZ,
)
QUIET = TriggerFacts(now=NOW, mode="enabled")


def causes(facts: TriggerFacts, rules: TriggerRules = RULES) -> list[str]:
    return [t.cause for t in evaluate(facts, rules)]


def test_a_quiet_daemon_fires_nothing() -> None:
    assert causes(QUIET) == []


def test_auth_broken_is_sev1_from_the_moment_meta_refused_the_token() -> None:
    at = NOW - timedelta(seconds=5)
    (t,) = evaluate(replace(QUIET, auth_broken_since=at), RULES)
    assert (t.cause, t.severity, t.since) == ("auth_broken", "sev1", at)
    assert "190" in t.evidence_pt and "01/12/2026 09:59" in t.evidence_pt


@pytest.mark.parametrize(
    ("failing_for_s", "last_failure_ago_s", "failures", "fires"),
    [
        (299, 1, 9, False),  # not yet over N minutes
        (300, 1, 9, True),
        (3600, 10, 40, True),
        (3600, 301, 40, False),  # the streak ended: nothing was tried since
        (600, 1, 1, False),  # one failure is no streak
    ],
)
def test_graph_failures_fire_after_n_minutes_while_still_failing(
    failing_for_s: float, last_failure_ago_s: float, failures: int, fires: bool
) -> None:
    facts = replace(
        QUIET,
        graph_failing_since=NOW - timedelta(seconds=failing_for_s),
        graph_last_failure_at=NOW - timedelta(seconds=last_failure_ago_s),
        graph_streak_failures=failures,
    )
    assert causes(facts) == (["graph_unstable"] if fires else [])
    if fires:
        assert evaluate(facts, RULES)[0].title_pt == "Instabilidade externa (Meta)"


@pytest.mark.parametrize(
    ("local_hour", "weekday_offset", "fires"),
    [
        (10, 0, True),  # Tuesday 10:00
        (7, 0, False),  # before opening
        (18, 0, False),  # closing time is excluded
        (17, 0, True),
        (11, 4, True),  # Saturday morning
        (13, 4, False),  # Saturday afternoon
        (10, 5, False),  # Sunday
    ],
)
def test_webhook_silence_counts_only_in_business_hours(
    local_hour: int, weekday_offset: int, fires: bool
) -> None:
    now = datetime(2026, 12, 1, local_hour, 30, tzinfo=TZ) + timedelta(days=weekday_offset)
    facts = replace(
        QUIET, now=now, first_unanswered_send_at=now - timedelta(minutes=31), last_webhook_at=None
    )
    assert causes(facts) == (["webhook_silence"] if fires else [])


def test_webhook_silence_needs_a_send_accepted_long_enough_ago_and_real_mode() -> None:
    recent = replace(QUIET, first_unanswered_send_at=NOW - timedelta(minutes=29))
    assert causes(recent) == []
    old = replace(QUIET, first_unanswered_send_at=NOW - timedelta(minutes=30))
    assert causes(old) == ["webhook_silence"]
    assert causes(replace(old, mode="dry_run")) == []


@pytest.mark.parametrize(
    ("sends", "failures", "fires"),
    [(10, 1, False), (10, 2, True), (100, 10, False), (100, 11, True), (9, 9, False)],
)
def test_failure_rate_over_ten_percent_with_enough_sends(
    sends: int, failures: int, fires: bool
) -> None:
    facts = replace(
        QUIET,
        window_sends=sends,
        window_failures=failures,
        window_first_failure_at=NOW - timedelta(minutes=3),
    )
    assert causes(facts) == (["send_failures"] if fires else [])


def test_storage_and_crash_loops_are_sev1() -> None:
    since = NOW - timedelta(seconds=20)
    facts = replace(
        QUIET,
        storage_fault="disk_full",
        storage_fault_since=since,
        crash_looping=("sender", "delivery_worker"),
        crash_loop_since=since,
    )
    found = evaluate(facts, RULES)
    assert [(t.cause, t.severity, t.since) for t in found] == [
        ("storage_fault", "sev1", since),
        ("actor_crash_loop", "sev1", since),
    ]
    assert "delivery_worker, sender" in found[1].evidence_pt


def test_every_cause_has_one_severity_and_fires_once() -> None:
    everything = replace(
        QUIET,
        auth_broken_since=NOW,
        graph_failing_since=NOW - timedelta(hours=1),
        graph_last_failure_at=NOW,
        graph_streak_failures=30,
        first_unanswered_send_at=NOW - timedelta(hours=1),
        window_sends=20,
        window_failures=20,
        storage_fault="read_only",
        crash_looping=("sender",),
    )
    found = causes(everything)
    assert found == list(SEVERITY) and len(set(found)) == len(found)


@given(
    sends=st.integers(0, 10_000),
    failures=st.integers(0, 10_000),
    streak=st.integers(0, 1000),
    failing_for=st.floats(0, 299),
)
def test_below_every_threshold_nothing_fires(
    sends: int, failures: int, streak: int, failing_for: float
) -> None:
    failures = min(failures, sends // 10)  # at most 10 %
    facts = replace(
        QUIET,
        window_sends=sends,
        window_failures=failures,
        graph_failing_since=NOW - timedelta(seconds=failing_for),
        graph_last_failure_at=NOW,
        graph_streak_failures=streak,
        first_unanswered_send_at=NOW - timedelta(seconds=failing_for),
    )
    assert causes(facts) == []


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("mon-fri 8:00-18:00", "is not"),
        ("mon-xyz 08:00-18:00", "is not a day"),
        ("fri-mon 08:00-18:00", "backwards"),
        ("mon 18:00-08:00", "ends before"),
        ("mon 25:00-26:00", "not a time"),
        ("mon 08:00-08:60", "not a time"),
    ],
)
def test_business_hours_refuse_what_is_not_their_grammar(entry: str, problem: str) -> None:
    with pytest.raises(HoursError, match=problem):
        parse_hours(entry)


def test_business_hours_lists_and_the_whole_day() -> None:
    spans = parse_business_hours(["mon,wed 00:00-24:00"])
    assert within(spans, datetime(2026, 11, 30, 23, 59, 59, tzinfo=TZ))  # Monday
    assert within(spans, datetime(2026, 12, 2, 0, 0, tzinfo=TZ))  # Wednesday
    assert not within(spans, datetime(2026, 12, 1, 12, 0, tzinfo=TZ))  # Tuesday


@pytest.mark.parametrize(
    ("flagged", "failures", "running", "up_for", "looping"),
    [
        (True, 5, False, 0, True),  # the supervisor says so
        (False, 5, False, 0, True),  # waiting out a long backoff, still failing
        (False, 9, True, 10, True),  # up again, not for a minute yet
        (False, 9, True, 60, False),  # up for a minute: healthy
        (False, 4, False, 0, False),
    ],
)
def test_an_actor_failing_in_a_row_is_restarting_in_a_loop(
    flagged: bool, failures: int, running: bool, up_for: float, looping: bool
) -> None:
    assert restarting_in_a_loop(flagged, failures, running, up_for) is looping
