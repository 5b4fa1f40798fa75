from __future__ import annotations

import pytest

from recado.rules.status_order import META_STATUSES, REASONS, apply_status, reason_text

STATES = [
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "played",
    "failed",
    "skipped",
    "dead",
    "uncertain",
    "canceled",
]

# (current, incoming) -> (new_state, applied, reason)
EXPECTED = {
    ("queued", "sent"): ("sent", True, None),
    ("sending", "sent"): ("sent", True, None),
    ("sending", "read"): ("read", True, None),
    ("sent", "delivered"): ("delivered", True, None),
    ("delivered", "read"): ("read", True, None),
    ("read", "played"): ("played", True, None),
    ("sent", "sent"): ("sent", False, "duplicate"),
    ("read", "delivered"): ("read", False, "out_of_order"),
    ("read", "sent"): ("read", False, "out_of_order"),
    ("delivered", "sent"): ("delivered", False, "out_of_order"),
    ("played", "read"): ("played", False, "out_of_order"),
    ("queued", "failed"): ("failed", True, None),
    ("sending", "failed"): ("failed", True, None),
    ("sent", "failed"): ("failed", True, None),
    ("uncertain", "failed"): ("failed", True, None),
    ("delivered", "failed"): ("delivered", False, "failed_after_delivery"),
    ("read", "failed"): ("read", False, "failed_after_delivery"),
    ("failed", "failed"): ("failed", False, "duplicate"),
    ("failed", "delivered"): ("failed", False, "after_failed"),
    ("uncertain", "sent"): ("sent", True, "outcome_resolved"),
    ("uncertain", "read"): ("read", True, "outcome_resolved"),
    ("dead", "delivered"): ("delivered", True, "outcome_resolved"),
    ("dead", "failed"): ("failed", True, None),
    ("skipped", "sent"): ("skipped", False, "not_sent"),
    ("canceled", "read"): ("canceled", False, "not_sent"),
}


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("incoming", [*META_STATUSES, "deleted", "warning"])
def test_every_pair(current: str, incoming: str) -> None:
    decision = apply_status(current, incoming)
    if incoming not in META_STATUSES:
        assert (decision.new_state, decision.applied, decision.reason) == (
            current,
            False,
            "unknown_status",
        )
        return
    if (current, incoming) in EXPECTED:
        assert (decision.new_state, decision.applied, decision.reason) == EXPECTED[
            (current, incoming)
        ]
    # Invariants for every pair: never backwards, reasons always explained.
    order = ["queued", "sending", "sent", "delivered", "read", "played"]
    if decision.applied and current in order and decision.new_state in order:
        assert order.index(decision.new_state) > order.index(current)
    if not decision.applied:
        assert decision.new_state == current
        assert decision.reason in REASONS


def test_reasons_read_in_both_locales() -> None:
    assert reason_text("out_of_order", "pt-BR") == (
        "Chegou fora de ordem; um status mais avançado já havia chegado."
    )
    assert reason_text("out_of_order", "en") == (
        "Arrived out of order; a later status had already arrived."
    )
    assert reason_text(None, "en") is None
