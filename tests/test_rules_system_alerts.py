"""The breaker alert counts its failures in words a person reads: one failure is "1 vez"."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.system_alerts import breaker_open_texts


def test_one_failure_is_said_in_the_singular() -> None:
    pt, en = breaker_open_texts("agenda", 1)
    assert 'O serviço "agenda" falhou 1 vez (' in pt and "vezes" not in pt.split("(")[0]
    assert "failed once (" in en


@given(st.integers(2, 10_000))
def test_many_failures_are_said_in_the_plural(n: int) -> None:
    pt, en = breaker_open_texts("crm", n)
    assert f"falhou {n} vezes seguidas (" in pt
    assert f"failed {n} times in a row (" in en
