"""schemathesis on both listeners of the running daemon (tests/openapi_fuzz.py): a short run
in the test command; bench/fuzz.py runs the same with many more examples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.openapi_fuzz import Live, fuzz_listener, live_daemon

EXAMPLES = 25


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    yield from live_daemon(tmp_path_factory.mktemp("openapi_fuzz"))


@pytest.mark.parametrize("listener", ["public", "operator"])
def test_schemathesis_finds_nothing(daemon: Live, listener: str) -> None:
    outcome = fuzz_listener(daemon, listener, EXAMPLES)
    assert not outcome.failures, "\n\n".join(outcome.failures)
    # Every documented operation was called, and some got past the checks to a 2xx.
    assert outcome.statuses
    assert any(s < 300 for seen in outcome.statuses.values() for s in seen)
