from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.retry_schedule import delivery_delay, message_backoff, message_step


def test_message_backoff_doubles_and_caps() -> None:
    tops = [message_backoff(n, 30, 3600, 0.999999) for n in range(1, 10)]
    assert [round(t) for t in tops] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert message_backoff(3, 30, 3600, 0.0) == 0.0  # full jitter reaches zero


def test_message_backoff_hints() -> None:
    assert [message_backoff(n, 30, 3600, 0.5, "pair") for n in (1, 2, 3, 4)] == [1, 4, 16, 64]
    assert message_backoff(6, 30, 3600, 0.99, "short") <= 30
    assert message_backoff(1, 30, 3600, 0.0, "long") == 900


@given(st.integers(1, 30), st.floats(0, 0.999999))
def test_message_backoff_stays_in_bounds(attempt: int, rand: float) -> None:
    assert 0 <= message_backoff(attempt, 30, 3600, rand) <= 3600


@given(st.integers(1, 30), st.integers(1, 30), st.floats(0, 0.999999))
def test_a_message_is_dead_once_its_attempts_are_spent(
    attempt: int, max_attempts: int, rand: float
) -> None:
    delay = message_step(attempt, max_attempts, 30, 3600, rand)
    if attempt >= max_attempts:
        assert delay is None
    else:
        assert delay == message_backoff(attempt, 30, 3600, rand)


def test_hub_schedule_with_jitter() -> None:
    middle = [delivery_delay(n, 0.5).total_seconds() / 60 for n in range(1, 9)]
    assert middle == [1, 2, 5, 10, 30, 60, 60, 60]
    assert delivery_delay(1, 0.0).total_seconds() == 54
    assert round(delivery_delay(1, 0.999999).total_seconds()) == 66


@given(st.integers(1, 20), st.floats(0, 0.999999))
def test_hub_jitter_is_ten_percent(attempt: int, rand: float) -> None:
    steps = [1, 2, 5, 10, 30, 60]
    base = steps[min(attempt, 6) - 1] * 60
    assert base * 0.9 <= delivery_delay(attempt, rand).total_seconds() <= base * 1.1


def test_retry_after_is_honoured_up_to_an_hour() -> None:
    assert delivery_delay(1, 0.5, retry_after_s=300).total_seconds() == 300
    assert delivery_delay(1, 0.5, retry_after_s=10).total_seconds() == 60
    assert delivery_delay(1, 0.5, retry_after_s=99999).total_seconds() == 3600
