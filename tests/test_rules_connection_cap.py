from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.connection_cap import (
    LOG_EVERY_S,
    RECENT_S,
    CapAlertPolicy,
    alert_text,
    recent_hit_text,
)

# (seconds since the previous event, open connections after it or None for a refusal)
Events = st.lists(
    st.tuples(st.floats(0, 2 * LOG_EVERY_S), st.none() | st.integers(0, 100)), max_size=80
)


@given(st.integers(1, 100), Events)
def test_each_saturation_alerts_and_logs_once_resolved_under_half_the_cap(
    cap: int, events: list[tuple[float, int | None]]
) -> None:
    policy = CapAlertPolicy(cap)
    now, is_open, refused, logged, last_log = 0.0, False, 0, 0, None
    last_refused: float | None = None
    for dt, level in events:
        now += dt
        if level is None:
            refused += 1
            last_refused = now
            refusal = policy.on_refused(now)
            # A new alert exactly when none is open: after a resolve, however soon.
            assert refusal.raise_alert == (not is_open)
            is_open = True
            if refusal.raise_alert:
                # The first refusal of every saturation is in the journal at once.
                assert refusal.log_refused > 0
            if refusal.log_refused:
                assert refusal.raise_alert or last_log is None or now - last_log >= LOG_EVERY_S
                last_log = now
                logged += refusal.log_refused
            else:
                assert last_log is not None and now - last_log < LOG_EVERY_S
            # Every refusal is counted in some line, none twice.
            assert refused - logged >= 0
        elif policy.on_level(level):
            assert is_open and level < cap / 2
            is_open = False
        else:
            assert not is_open or level >= cap / 2
        recent = last_refused is not None and now - last_refused < RECENT_S
        assert policy.hit_recently(now) == recent


def test_a_second_saturation_soon_after_a_resolve_alerts_again() -> None:
    policy = CapAlertPolicy(4)
    assert policy.on_refused(0.0).raise_alert
    assert not policy.on_refused(1.0).raise_alert
    assert policy.on_level(1)
    assert policy.on_refused(30.0).raise_alert
    assert policy.on_refused(30.0).log_refused == 0
    assert policy.on_refused(30.0 + LOG_EVERY_S).log_refused == 2
    assert policy.hit_recently(30.0 + LOG_EVERY_S + RECENT_S - 1)
    assert not policy.hit_recently(30.0 + LOG_EVERY_S + RECENT_S)


def test_the_alert_names_the_listener_its_cap_and_the_key() -> None:
    pt, en = alert_text("public", 256)
    assert "público" in pt and "256 conexões" in pt and "http.public_max_connections" in pt
    assert "public listener" in en and "256" in en and "http.public_max_connections" in en
    pt, _ = alert_text("operator", 64)
    assert "do operador" in pt and "http.operator_max_connections" in pt
    pt, en = recent_hit_text("public", 256)
    assert "256 conexões" in pt and "10 minutos" in pt and "http.public_max_connections" in pt
    assert "256 open connections" in en and "http.public_max_connections" in en
