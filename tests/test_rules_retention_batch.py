"""The retention batch size follows the time the last batch held the writer
(rules/retention_batch.py): whatever a row costs, batches converge on the budget and never
leave the 1..ceiling range."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.retention_batch import (
    BUDGET_MS,
    FIRST_ROWS,
    MIN_ROWS,
    first_rows,
    next_rows,
)


def test_a_batch_over_budget_shrinks_at_once_to_what_fits() -> None:
    # 500 rows in 170 ms (the 1 M database's message batches): 15 ms fits 44.
    assert next_rows(500, 170.0, 500) == int(500 * BUDGET_MS / 170.0)


def test_a_slow_disk_does_not_shrink_batches_below_the_floor() -> None:
    # A 200 ms fsync is paid by every write, retention's or not: one-row batches would not
    # make any write wait less, only make the run last hours.
    assert next_rows(32, 200.0, 500) == MIN_ROWS
    assert next_rows(MIN_ROWS, 500.0, 500) == MIN_ROWS
    # ... but the floor never exceeds the configured largest batch.
    assert next_rows(3, 500.0, 3) == 3


def test_a_cheap_batch_grows_at_most_twice() -> None:
    assert next_rows(32, 0.5, 500) == 64
    assert next_rows(32, 0.0, 500) == 64
    assert next_rows(400, 1.0, 500) == 500


def test_the_first_batch_is_small_and_within_the_ceiling() -> None:
    assert first_rows(500) == FIRST_ROWS
    assert first_rows(5) == 5
    assert first_rows(0) == 1


@given(
    rows=st.integers(min_value=1, max_value=10_000),
    took_ms=st.floats(min_value=0, max_value=60_000, allow_nan=False),
    ceiling=st.integers(min_value=1, max_value=10_000),
)
def test_the_next_size_is_always_in_range_and_never_more_than_fits(
    rows: int, took_ms: float, ceiling: int
) -> None:
    size = next_rows(rows, took_ms, ceiling)
    assert min(MIN_ROWS, ceiling) <= size <= ceiling
    assert size <= max(rows * 2, MIN_ROWS)
    if took_ms > 0 and size > MIN_ROWS:
        # At the rate measured, the next batch fits the budget.
        assert size * took_ms / rows <= BUDGET_MS + 1e-9


@given(
    per_row_ms=st.floats(min_value=0.001, max_value=50.0, allow_nan=False),
    ceiling=st.integers(min_value=1, max_value=10_000),
)
def test_at_a_steady_cost_per_row_the_size_settles_within_the_budget(
    per_row_ms: float, ceiling: int
) -> None:
    size = first_rows(ceiling)
    for _ in range(40):
        size = next_rows(size, size * per_row_ms, ceiling)
    assert size * per_row_ms <= BUDGET_MS or size == min(MIN_ROWS, ceiling)
    # ... and is not needlessly small: the largest that fits, or the ceiling.
    best = min(ceiling, max(MIN_ROWS, int(BUDGET_MS / per_row_ms)))
    assert size >= best // 2
