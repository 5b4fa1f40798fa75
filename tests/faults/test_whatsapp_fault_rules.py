"""The standing alerts' pure rules (rules/whatsapp_faults.py): a refusal watch raises one
episode per flood whatever its size, in bounded memory, never below the burst rate, and the
episode ends after the quiet time; the streak rules fire and clear on their facts alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from recado.rules import whatsapp_faults as wf

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
TZ = ZoneInfo("America/Sao_Paulo")


@given(st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=2000))
def test_a_flood_is_one_episode_in_bounded_memory(gaps: list[float]) -> None:
    watch = wf.forged_watch()
    now, episodes, was_active = 0.0, 0, False
    for gap in gaps:
        now += gap
        watch.note(now)
        active = watch.active(now)
        episodes += active and not was_active
        was_active = active
        assert len(watch._recent) <= wf.FORGED_MIN
    # Gaps of at most 5 s never let the quiet time pass: one episode at most, and one
    # exactly once the burst was reached within its window.
    assert episodes <= 1
    reached = len(gaps) >= wf.FORGED_MIN and any(
        sum(gaps[i + 1 : i + wf.FORGED_MIN]) <= wf.FORGED_WINDOW_S
        for i in range(len(gaps) - wf.FORGED_MIN + 1)
    )
    assert episodes == int(reached)
    if watch.episode_since is not None:
        assert not watch.active(now + wf.QUIET_S + 1)


@given(st.integers(min_value=1, max_value=500))
def test_refusals_slower_than_the_burst_rate_never_alert(n: int) -> None:
    watch = wf.forged_watch()
    step = wf.FORGED_WINDOW_S / (wf.FORGED_MIN - 1) + 0.01
    for i in range(n):
        watch.note(i * step)
    assert not watch.active(n * step)


def test_the_graph_streak_fires_from_two_failures_and_not_once_stale() -> None:
    base = wf.FaultFacts(now=NOW, tz=TZ)
    assert wf.standing(base) == []
    one = wf.FaultFacts(
        now=NOW, tz=TZ, graph_failing_since=NOW, graph_last_failure_at=NOW, graph_streak_failures=1
    )
    assert wf.standing(one) == []
    two = wf.FaultFacts(
        now=NOW,
        tz=TZ,
        graph_failing_since=NOW - timedelta(minutes=1),
        graph_last_failure_at=NOW,
        graph_streak_failures=2,
        graph_streak_timeouts=1,
    )
    (alert,) = wf.standing(two)
    assert alert.code == wf.GRAPH_UNSTABLE
    assert "1 com erro 5xx, 1 sem resposta no prazo" in alert.pt_br
    stale = wf.FaultFacts(
        now=NOW + wf.STILL_FAILING + timedelta(seconds=1),
        tz=TZ,
        graph_failing_since=NOW,
        graph_last_failure_at=NOW,
        graph_streak_failures=5,
    )
    assert wf.standing(stale) == []


def test_every_alert_names_its_fault_in_both_languages() -> None:
    facts = wf.FaultFacts(
        now=NOW,
        tz=TZ,
        graph_failing_since=NOW,
        graph_last_failure_at=NOW,
        graph_streak_failures=2,
        throttled_since=NOW,
        throttled_streak=2,
        window_closed_templates=1,
        window_closed_last_at=NOW,
        silence=("pt", "en"),
        forged=wf.Episode(NOW, 20),
        too_large=wf.Episode(NOW, 1),
        max_body_bytes=1024,
        template_problems=(("appointment_created", "pt", "en"),),
    )
    found = wf.standing(facts)
    assert sorted(a.code for a in found) == sorted(wf.CODES)
    for a in found:
        assert a.pt_br and a.en and a.pt_br != a.en
        assert "10:00" in a.pt_br or a.code in (wf.SILENCE, wf.TEMPLATE_PROBLEM)
