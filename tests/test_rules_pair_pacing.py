from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.pair_pacing import take


def test_burst_then_one_every_six_seconds() -> None:
    bucket = None
    allowed = []
    for _ in range(4):
        ok, bucket, wait = take(bucket, 100.0)
        allowed.append((ok, round(wait, 6)))
    assert allowed == [(True, 0.0), (True, 0.0), (True, 0.0), (False, 6.0)]
    ok, bucket, _ = take(bucket, 106.0)
    assert ok
    ok, bucket, wait = take(bucket, 109.0)
    assert (ok, round(wait, 6)) == (False, 3.0)


@given(st.lists(st.floats(0, 5), min_size=1, max_size=40))
def test_never_more_than_the_limit_allows(gaps: list[float]) -> None:
    bucket, now, sent = None, 0.0, []
    for gap in gaps:
        now += gap
        ok, bucket, _ = take(bucket, now)
        if ok:
            sent.append(now)
    # In any window of 6 s after the burst, at most burst + 1 sends.
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + 6.0) <= 4
