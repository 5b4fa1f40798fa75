"""Each state set and constant list is defined once (rules/states.py, rules/kinds.py,
rules/buttons.py) and what repeats it elsewhere is that very list: the page words name every
state and kind in both locales, the config accepts exactly the event types and buttons there
are, the events API accepts the ones a studio's system may send."""

from __future__ import annotations

import pytest

from recado.config import checks
from recado.events import payloads
from recado.http import dlq_pages, message_pages
from recado.http.i18n import TEXT
from recado.rules import breaker, buttons, kinds, message_retry, status_order
from recado.rules import states as st


@pytest.mark.parametrize("locale", sorted(TEXT))
@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("mstate", st.MESSAGE_STATES),
        ("dstate", st.DELIVERY_STATES),
        ("bstate", st.BREAKER_STATES),
        ("run", st.SYNC_RUN_STATES),
        ("severity", st.ALERT_SEVERITIES),
        ("kind", kinds.MESSAGE_KINDS),
    ],
)
def test_every_state_and_kind_has_its_word(
    locale: str, prefix: str, values: tuple[str, ...]
) -> None:
    missing = [v for v in values if f"{prefix}.{v}" not in TEXT[locale]]
    assert missing == []


def test_the_lists_elsewhere_are_the_ones_defined_once() -> None:
    assert message_pages.STATES is st.MESSAGE_STATES
    assert message_pages.KINDS is kinds.MESSAGE_KINDS
    assert dlq_pages.DLQ_STATES is st.DLQ_STATES
    assert checks.BUTTONS is buttons.BUTTONS
    assert checks.EVENT_TYPES is kinds.EVENT_TYPES
    assert (breaker.CLOSED, breaker.OPEN, breaker.HALF_OPEN) == (st.CLOSED, st.OPEN, st.HALF_OPEN)
    assert tuple(status_order.RANK) == st.MESSAGE_FLOW
    assert set(payloads.APPOINTMENT_TYPES) | set(payloads.FREE_FORM_TYPES) == set(
        kinds.EVENT_TYPES
    ) - set(kinds.BUTTON_TYPES) - set(kinds.INTERNAL_TYPES)


def test_retry_and_discard_name_message_states() -> None:
    assert set(message_retry.RETRYABLE) <= set(st.MESSAGE_STATES)
    assert set(message_retry.DISCARDABLE) <= set(st.MESSAGE_STATES)
