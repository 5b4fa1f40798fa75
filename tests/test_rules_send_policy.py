"""rules/send_policy.decide and rules/message_retry, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.rules.kinds import FREE_FORM_KINDS
from recado.rules.message_retry import retry_due_at, retry_verdict
from recado.rules.send_policy import (
    AppointmentFacts,
    CallOff,
    Fail,
    Proceed,
    Skip,
    Wait,
    decide,
)
from recado.rules.window import Ledger, window_state

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=2)
TO = "+5511987654321"


def _decide(**kw: object) -> object:
    args: dict[str, object] = {
        "kind": "appointment_created",
        "to": TO,
        "mode": "enabled",
        "kill_switch": False,
        "sending_paused": False,
        "allowlist": [],
        "test_recipient": "",
        "window": None,
        "now": NOW,
        "appointment": AppointmentFacts("scheduled", LATER, LATER),
        "template_configured": True,
    }
    args.update(kw)
    return decide(**args)  # type: ignore[arg-type]


def test_a_scheduled_appointment_goes_out() -> None:
    assert _decide() == Proceed(TO, dry_run=False)
    assert _decide(mode="dry_run") == Proceed(TO, dry_run=True)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"sending_paused": True}, Wait("sending_paused")),
        ({"kill_switch": True}, Wait("kill_switch")),
        # Paused wins over everything, even a canceled appointment: nothing is decided
        # while an operator must act first.
        (
            {"kill_switch": True, "appointment": AppointmentFacts("canceled", LATER, LATER)},
            Wait("kill_switch"),
        ),
        (
            {"appointment": AppointmentFacts("canceled", LATER, LATER)},
            CallOff("appointment_canceled"),
        ),
        (
            {"appointment": AppointmentFacts("scheduled", LATER, LATER + timedelta(hours=1))},
            CallOff("appointment_changed"),
        ),
        ({"appointment": AppointmentFacts("confirmed", NOW, NOW)}, Skip("appointment_passed")),
        ({"template_configured": False}, Fail("template_not_configured")),
        ({"mode": "disabled"}, Skip("mode_disabled")),
        ({"allowlist": ["+5511000000000"]}, Skip("not_allowlisted")),
        ({"whatsapp_configured": False}, Fail("not_configured")),
        # What decides before WhatsApp's setup does is said first: nothing would have left.
        ({"whatsapp_configured": False, "mode": "disabled"}, Skip("mode_disabled")),
        (
            {"whatsapp_configured": False, "allowlist": ["+5511000000000"]},
            Skip("not_allowlisted"),
        ),
        (
            {"whatsapp_configured": False, "template_configured": False},
            Fail("template_not_configured"),
        ),
    ],
)
def test_what_stops_a_send(kw: dict[str, object], expected: object) -> None:
    assert _decide(**kw) == expected


def test_the_cancellation_notice_ignores_the_canceled_appointment_but_needs_the_window() -> None:
    canceled = AppointmentFacts("canceled", LATER, LATER)
    opened = window_state(Ledger("5511", last_inbound_at=NOW - timedelta(hours=1)), NOW)
    closed = window_state(Ledger("5511", last_inbound_at=NOW - timedelta(hours=25)), NOW)
    kind = "appointment_canceled"
    assert _decide(kind=kind, appointment=canceled, window=opened) == Proceed(TO, dry_run=False)
    assert _decide(kind=kind, appointment=canceled, window=closed) == Skip("window_closed")
    assert _decide(kind=kind, appointment=canceled, window=window_state(None, NOW)) == Skip(
        "no_inbound"
    )


def test_a_dry_run_needs_no_whatsapp_setup() -> None:
    assert _decide(mode="dry_run", whatsapp_configured=False) == Proceed(TO, dry_run=True)
    redirected = _decide(test_recipient="+5511999999999", whatsapp_configured=False)
    assert redirected == Fail("not_configured")


@given(
    kind=hs.sampled_from(["appointment_created", "appointment_reminder", *FREE_FORM_KINDS]),
    mode=hs.sampled_from(["disabled", "dry_run", "enabled"]),
    paused=hs.booleans(),
    kill=hs.booleans(),
    status=hs.sampled_from(["scheduled", "confirmed", "canceled"]),
    starts_in_h=hs.integers(-48, 48),
    moved=hs.booleans(),
    inbound_h_ago=hs.one_of(hs.none(), hs.integers(0, 72)),
    template=hs.booleans(),
    configured=hs.booleans(),
    allowlisted=hs.one_of(hs.none(), hs.booleans()),
)
def test_nothing_called_off_or_passed_ever_proceeds(
    kind: str,
    mode: str,
    paused: bool,
    kill: bool,
    status: str,
    starts_in_h: int,
    moved: bool,
    inbound_h_ago: int | None,
    template: bool,
    configured: bool,
    allowlisted: bool | None,
) -> None:
    starts = NOW + timedelta(hours=starts_in_h)
    apt = AppointmentFacts(status, starts, starts + timedelta(hours=1) if moved else starts)
    ledger = None
    if inbound_h_ago is not None:
        ledger = Ledger("5511", last_inbound_at=NOW - timedelta(hours=inbound_h_ago))
    window = window_state(ledger, NOW) if kind in FREE_FORM_KINDS else None
    allowlist = [] if allowlisted is None else ([TO] if allowlisted else ["+5511000000000"])
    decision = _decide(
        kind=kind,
        mode=mode,
        sending_paused=paused,
        kill_switch=kill,
        appointment=apt,
        window=window,
        template_configured=template,
        whatsapp_configured=configured,
        allowlist=allowlist,
    )
    if not isinstance(decision, Proceed):
        return
    assert not paused and not kill and mode != "disabled"
    if kind != "appointment_canceled":
        assert status != "canceled" and not moved and starts > NOW
    if kind in FREE_FORM_KINDS:
        assert window is not None and window.open
    else:
        assert template
    assert decision.dry_run == (mode == "dry_run")
    if not decision.dry_run:
        assert configured and allowlisted is not False


def test_the_test_recipient_redirects_only_real_sends() -> None:
    redirected = _decide(test_recipient="+5511999999999")
    assert redirected == Proceed("+5511999999999", dry_run=False, redirected_from=TO)
    assert _decide(mode="dry_run", test_recipient="+5511999999999") == Proceed(TO, dry_run=True)


def test_a_hub_message_has_no_appointment_to_check() -> None:
    assert _decide(kind="welcome", appointment=None) == Proceed(TO, dry_run=False)


@pytest.mark.parametrize(
    ("state", "apt", "ok", "reason"),
    [
        ("dead", AppointmentFacts("scheduled", LATER, LATER), True, None),
        ("sent", AppointmentFacts("scheduled", LATER, LATER), False, "not_retryable_state"),
        ("failed", AppointmentFacts("canceled", LATER, LATER), False, "appointment_canceled"),
        ("canceled", AppointmentFacts("scheduled", LATER, NOW), False, "appointment_changed"),
        ("skipped", AppointmentFacts("scheduled", NOW, NOW), False, "appointment_passed"),
        ("dead", None, True, None),
    ],
)
def test_retry_verdict(state: str, apt: AppointmentFacts | None, ok: bool, reason: str) -> None:
    verdict = retry_verdict(state, "appointment_reminder", apt, NOW)
    assert (verdict.ok, verdict.reason) == (ok, reason)


def test_a_retried_reminder_is_due_at_its_planned_moment_never_earlier() -> None:
    assert retry_due_at("appointment_reminder", LATER, 24, NOW) == LATER - timedelta(hours=24)
    assert retry_due_at("appointment_reminder", NOW + timedelta(hours=3), 24, NOW) == NOW
    assert retry_due_at("appointment_created", LATER, 24, NOW) == NOW
