from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recado.rules.window import Ledger, advance_inbound, window_state

T0 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def test_no_ledger_or_no_inbound_is_closed_with_reason() -> None:
    assert window_state(None, T0).reason == "no_inbound"
    state = window_state(Ledger("5511", last_outbound_at=T0), T0)
    assert (state.open, state.reason, state.expires_at) == (False, "no_inbound", None)


def test_open_until_the_last_second_and_closed_at_24h() -> None:
    ledger = Ledger("5511", last_inbound_at=T0)
    almost = window_state(ledger, T0 + timedelta(hours=23, minutes=59, seconds=59))
    assert (almost.open, almost.reason) == (True, "open")
    assert almost.expires_at == T0 + timedelta(hours=24)
    exactly = window_state(ledger, T0 + timedelta(hours=24))
    assert (exactly.open, exactly.reason) == (False, "window_closed")
    assert exactly.last_inbound_at == T0


def test_a_late_old_message_never_moves_last_inbound_back() -> None:
    ledger = advance_inbound(Ledger("5511"), T0)
    later = advance_inbound(ledger, T0 + timedelta(hours=2))
    retried = advance_inbound(later, T0 - timedelta(days=3))
    assert retried.last_inbound_at == T0 + timedelta(hours=2)
    assert retried.inbound_count == 3
