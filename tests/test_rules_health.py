"""rules/health.evaluate without a server: which facts make which status."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.rules.health import (
    HealthFacts,
    Liveness,
    Readiness,
    RuntimeFacts,
    connection_state,
    evaluate,
    public_readiness,
    readiness,
    watchdog,
)


def _status(**kw: object) -> tuple[str, list[str]]:
    facts = HealthFacts(**{"mode": "enabled", "app_secret_configured": True, **kw})  # type: ignore[arg-type]
    health = evaluate(facts)
    return health.status, [r.code for r in health.reasons]


def test_a_quiet_enabled_daemon_is_healthy() -> None:
    assert _status() == ("healthy", [])


@pytest.mark.parametrize(
    ("kw", "status", "code"),
    [
        ({"whatsapp_auth_broken": True}, "critical", "whatsapp_auth"),
        ({"storage_writable": False}, "critical", "storage"),
        ({"crash_looping_actors": ("sender",)}, "critical", "crash_loop"),
        ({"open_breakers": ("crm",)}, "degraded", "breaker_open"),
        ({"dlq_total": 10}, "degraded", "dlq"),
        ({"retry_queue_total": 51}, "degraded", "retry_queue"),
        ({"events_today_processed": 94, "events_today_failed": 6}, "degraded", "event_success"),
        ({"sync_recent_failures": {"crm": 3}}, "degraded", "sync_failures"),
        ({"pending_events": 101}, "degraded", "pending_events"),
        ({"app_secret_configured": False}, "degraded", "no_app_secret"),
        ({"kill_switch": True}, "paused", "kill_switch"),
    ],
)
def test_each_fact_and_its_status(kw: dict[str, object], status: str, code: str) -> None:
    got_status, codes = _status(**kw)
    assert (got_status, codes) == (status, [code])


def test_thresholds_are_exclusive_where_the_guide_says_so() -> None:
    assert _status(dlq_total=9)[0] == "healthy"
    assert _status(retry_queue_total=50)[0] == "healthy"
    assert _status(events_today_processed=95, events_today_failed=5)[0] == "healthy"


def test_the_worst_reason_decides() -> None:
    assert _status(kill_switch=True, dlq_total=12)[0] == "degraded"
    assert _status(kill_switch=True, storage_writable=False)[0] == "critical"


def test_a_fresh_dry_run_without_app_secret_is_healthy_with_a_notice() -> None:
    status, codes = _status(mode="dry_run", app_secret_configured=False)
    assert (status, codes) == ("healthy", ["no_app_secret"])
    # Auth errors only matter when real sends are on.
    assert _status(mode="dry_run", whatsapp_auth_broken=True)[0] == "healthy"


def test_disabled_mode_says_how_many_appointments_wait() -> None:
    health = evaluate(HealthFacts(mode="disabled", unplanned_appointments=3))
    reason = next(r for r in health.reasons if r.code == "mode_disabled")
    assert "3 agendamento(s)" in reason.text("pt-BR") and "3 future" in reason.text("en")
    assert health.status == "healthy"


def test_connection_state() -> None:
    assert connection_state(False, False, None) == "not_configured"
    assert connection_state(True, True, "2026-12-01T10:00:00.000Z") == "error"
    assert connection_state(True, False, None) == "configured"
    assert connection_state(True, False, "2026-12-01T10:00:00.000Z") == "active"


READY = RuntimeFacts(
    storage_open=True, actor_states={"sender": "running", "sync_runner": "running"}
)


def test_a_running_daemon_is_ready_and_alive() -> None:
    assert readiness(READY) == Readiness(True, [])
    assert watchdog(READY) == Liveness(True)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (replace(READY, storage_open=False), "storage is not open"),
        (
            replace(READY, storage_fault=("disk_full", "2026-12-01T12:00:00.000Z", "full")),
            "storage fault since 2026-12-01T12:00:00.000Z: disk_full (full)",
        ),
        (replace(READY, actor_states={"sender": "backoff"}), "actor sender is backoff"),
        (
            replace(READY, actor_states={"sender": "backoff"}, crash_looping=("sender",)),
            "actor sender is crash_loop",
        ),
        (replace(READY, started=False), "the daemon is starting or stopping"),
    ],
)
def test_what_makes_a_daemon_not_ready(facts: RuntimeFacts, reason: str) -> None:
    assert readiness(facts) == Readiness(False, [reason])


@given(
    hs.booleans(),
    hs.dictionaries(
        hs.sampled_from(["sender", "delivery_worker", "sync_runner"]),
        hs.sampled_from(["starting", "running", "backoff", "crash_loop", "stopped"]),
    ),
    hs.booleans(),
    hs.booleans(),
)
def test_the_watchdog_vouches_for_storage_alone(
    storage_open: bool, actors: dict[str, str], started: bool, looping: bool
) -> None:
    """An actor down (or in a crash loop) makes the daemon not ready, never unpinged:
    restarting the whole daemon would not heal data."""
    facts = RuntimeFacts(
        storage_open=storage_open,
        actor_states=actors,
        crash_looping=tuple(actors) if looping else (),
        started=started,
    )
    assert watchdog(facts).alive == storage_open
    ready = readiness(facts)
    assert ready.ready == (storage_open and started and set(actors.values()) <= {"running"})
    assert ready.ready == (ready.reasons == [])


def test_a_running_actor_in_a_crash_loop_does_not_hold_readiness() -> None:
    """Up again after restarts: running, even if the dashboard still calls it looping."""
    facts = replace(READY, crash_looping=("sender",))
    assert readiness(facts).ready
    assert "crash_loop" in _status(crash_looping_actors=facts.crash_looping)[1]


@given(
    hs.booleans(),
    hs.none() | hs.tuples(hs.sampled_from(["disk_full", "locked"]), hs.text(), hs.text()),
    hs.dictionaries(hs.text(min_size=1), hs.sampled_from(["running", "backoff", "stopped"])),
    hs.booleans(),
)
def test_the_public_readiness_agrees_and_tells_no_detail(
    storage_open: bool,
    fault: tuple[str, str, str] | None,
    actors: dict[str, str],
    started: bool,
) -> None:
    facts = RuntimeFacts(
        storage_open=storage_open, storage_fault=fault, actor_states=actors, started=started
    )
    public = public_readiness(facts)
    assert public.ready == readiness(facts).ready
    # Only fixed codes: no path, SQLite message, time or actor name can reach the internet.
    assert set(public.reasons) <= {
        "storage_unavailable",
        "actor_not_running",
        "starting_or_stopping",
    }
