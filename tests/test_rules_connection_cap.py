from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.connection_cap import ALERT_EVERY_S, CapAlertPolicy, alert_text

# (seconds since the previous event, open connections after it or None for a refusal)
Events = st.lists(
    st.tuples(st.floats(0, 2 * ALERT_EVERY_S), st.none() | st.integers(0, 100)), max_size=60
)


@given(st.integers(1, 100), Events)
def test_at_most_one_alert_per_ten_minutes_resolved_under_half_the_cap(
    cap: int, events: list[tuple[float, int | None]]
) -> None:
    policy = CapAlertPolicy(cap)
    now, raised, is_open = 0.0, [], False
    for dt, level in events:
        now += dt
        if level is None:
            if policy.on_refused(now):
                assert not raised or now - raised[-1] >= ALERT_EVERY_S
                raised.append(now)
                is_open = True
            else:
                # Silenced only by a recent alert.
                assert raised and now - raised[-1] < ALERT_EVERY_S
        elif policy.on_level(level):
            assert is_open and level < cap / 2
            is_open = False
        else:
            assert not is_open or level >= cap / 2


def test_the_alert_names_the_listener_its_cap_and_the_key() -> None:
    pt, en = alert_text("public", 256)
    assert "público" in pt and "256 conexões" in pt and "http.public_max_connections" in pt
    assert "public listener" in en and "256" in en and "http.public_max_connections" in en
    pt, _ = alert_text("operator", 64)
    assert "do operador" in pt and "http.operator_max_connections" in pt
