"""rules/send_outcome and rules/message_reasons without a server: what each Graph answer
(and each decision not to send) does to a job, and that the reason stored with it reads as
the same sentence the classification gives, in both locales, after a trip through JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.rules import graph_errors as ge
from recado.rules import states as st
from recado.rules.graph_results import Accepted, NotSent, Rejected, Unknown
from recado.rules.message_reasons import TEXTS, reason, reason_text
from recado.rules.send_outcome import (
    JobUpdate,
    SendSettings,
    after_send,
    called_off,
    dry_run_sent,
    internal_error,
)
from recado.rules.send_policy import CallOff, Fail, Skip
from recado.rules.window import Ledger, window_state

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SP = ZoneInfo("America/Sao_Paulo")
S = SendSettings(
    max_attempts=5,
    retry_base_s=30,
    retry_cap_s=3600,
    uncertain_timeout_s=900,
    send_timeout_s=15,
    token_fingerprint="f1ngerpr1nt",
)
FINAL = (st.FAILED, st.SKIPPED, st.DEAD, st.CANCELED)


def _text(u: JobUpdate, locale: str) -> str | None:
    """As a page reads it: from the stored JSON."""
    stored = json.loads(json.dumps(u.reason)) if u.reason is not None else None
    return reason_text(stored, locale, SP)


def _rejected(code: int | None, status: int = 400, subcode: int | None = None) -> Rejected:
    return Rejected(status, code, subcode, None, "details from Meta", {"error": {"code": code}})


def test_accepted_is_sent_with_its_wamid() -> None:
    u = after_send("job1", Accepted("wamid.X", "5511", {"messages": []}), 1, S, NOW, 0.5)
    assert (u.state, u.wamid, u.wa_id, u.reason_code, u.pause, u.alert) == (
        st.SENT,
        "wamid.X",
        "5511",
        None,
        None,
        None,
    )
    assert u.attempt is not None and (u.attempt.outcome, u.attempt.wamid) == ("sent", "wamid.X")


@given(
    hs.sampled_from(["read_timeout", "write_error", "dropped", "bad_answer", "stopped", "odd"]),
    hs.integers(1, 50),
)
def test_an_unknown_outcome_is_uncertain_never_retried(kind: str, attempt: int) -> None:
    u = after_send("job1", Unknown(kind, "cut"), attempt, S, NOW, 0.3)
    assert u.state == st.UNCERTAIN and u.reason_code == f"unknown_{kind}"
    assert u.due_at == NOW + timedelta(seconds=S.uncertain_timeout_s)
    for locale in ("pt-BR", "en"):
        text = _text(u, locale)
        assert text and ("nunca é reenviada" in text or "never resent" in text)


def test_a_timeout_names_the_client_timeout() -> None:
    u = after_send("job1", Unknown("read_timeout", "x"), 1, S, NOW, 0.3)
    assert _text(u, "en") == (
        "The request to WhatsApp timed out: no answer within 15 s. The message may have gone "
        "out: it waits for a status from WhatsApp and is never resent automatically."
    )


@given(hs.sampled_from(["connect_error", "connect_timeout"]), hs.integers(1, 8), hs.floats(0, 0.99))
def test_nothing_sent_is_retried_until_the_attempts_are_spent(
    kind: str, attempt: int, rand: float
) -> None:
    u = after_send("job1", NotSent(kind, "refused"), attempt, S, NOW, rand)
    assert u.reason_code == f"transport_{kind}"
    assert u.attempt is not None and u.attempt.outcome == "not_sent"
    if attempt >= S.max_attempts:
        assert (u.state, u.due_at) == (st.DEAD, None)
    else:
        assert u.state == st.QUEUED and u.due_at is not None
        assert NOW <= u.due_at <= NOW + timedelta(seconds=S.retry_cap_s)
    assert _text(u, "en") == ge.classify_transport(kind).en


@pytest.mark.parametrize("code", sorted(ge.CODES))
def test_every_known_graph_code(code: int) -> None:
    info = ge.CODES[code]
    u = after_send("job1", _rejected(code), 1, S, NOW, 0.5)
    c = ge.classify(400, code)
    assert u.attempt is not None and (u.attempt.outcome, u.attempt.error_code) == ("rejected", code)
    assert (_text(u, "pt-BR"), _text(u, "en")) == (c.pt_br, c.en)
    if info.kind == ge.AUTH:
        assert (u.state, u.reason_code) == (st.FAILED, f"graph_{code}")
        assert u.pause is not None and u.pause["token"] == S.token_fingerprint
        assert u.pause["reason_code"] == f"graph_{code}"
        assert u.alert is not None and (u.alert.severity, u.alert.code) == (
            "critical",
            "whatsapp_auth",
        )
    elif info.kind == ge.WINDOW_CLOSED:
        assert (u.state, u.reason_code, u.alert, u.pause) == (
            st.SKIPPED,
            "window_closed",
            None,
            None,
        )
    elif info.kind in (ge.PERMANENT, ge.OPERATOR):
        assert (u.state, u.pause) == (st.FAILED, None)
        assert (u.alert is not None) == info.alert
        if u.alert is not None:
            assert (u.alert.severity, u.alert.subject, u.alert.en) == ("warning", "job1", c.en)
    else:
        assert (u.state, u.pause, u.alert) == (st.QUEUED, None, None)


@given(
    hs.one_of(hs.none(), hs.integers(-5, 10**7)),
    hs.integers(400, 599),
    hs.one_of(hs.none(), hs.booleans()),
    hs.integers(1, 8),
)
def test_any_answer_ends_in_a_state_with_a_reason_that_reads(
    code: int | None, status: int, transient: bool | None, attempt: int
) -> None:
    r = Rejected(status, code, None, transient, "", None)
    u = after_send("job1", r, attempt, S, NOW, 0.5)
    assert u.state in (st.QUEUED, *FINAL)
    assert (u.state == st.QUEUED) == (u.due_at is not None)
    if u.state == st.QUEUED:
        assert attempt < S.max_attempts
    c = ge.classify(status, code, None, transient)
    assert (_text(u, "pt-BR"), _text(u, "en")) == (c.pt_br, c.en)


def test_the_subcode_of_an_auth_error_is_kept_in_the_reason() -> None:
    u = after_send("job1", _rejected(190, 401, 463), 1, S, NOW, 0.5)
    assert _text(u, "en") == ge.classify(401, 190, 463).en
    assert "Reason: the token expired." in (_text(u, "en") or "")


def test_metas_is_transient_turns_a_permanent_code_into_a_retry() -> None:
    r = Rejected(400, 131026, None, True, "", None)
    assert after_send("job1", r, 1, S, NOW, 0.5).state == st.QUEUED
    r = Rejected(500, 131000, None, False, "", None)
    assert after_send("job1", r, 1, S, NOW, 0.5).state == st.FAILED


def test_the_pair_limit_waits_four_to_the_attempt() -> None:
    u = after_send("job1", _rejected(131056), 3, S, NOW, 0.99)
    assert u.due_at == NOW + timedelta(seconds=16)


@pytest.mark.parametrize(
    ("decision", "state"),
    [
        (Skip("appointment_passed"), st.SKIPPED),
        (Skip("mode_disabled"), st.SKIPPED),
        (Skip("not_allowlisted"), st.SKIPPED),
        (Skip("no_inbound"), st.SKIPPED),
        (CallOff("appointment_canceled"), st.CANCELED),
        (CallOff("appointment_changed"), st.CANCELED),
        (Fail("template_not_configured"), st.FAILED),
        (Fail("not_configured"), st.FAILED),
    ],
)
def test_a_decision_not_to_send(decision: Skip | CallOff | Fail, state: str) -> None:
    u = called_off(decision, "boas_vindas", None)
    assert (u.state, u.reason_code, u.attempt) == (state, decision.reason, None)
    pt, en = _text(u, "pt-BR"), _text(u, "en")
    assert pt and en and pt != en and decision.reason not in (pt, en)


def test_a_template_left_the_config_is_named() -> None:
    u = called_off(Fail("template_not_configured"), "boas_vindas", None)
    assert _text(u, "en") == 'The template "boas_vindas" is no longer in the configuration.'


def test_a_closed_window_names_its_times_in_the_studio_zone() -> None:
    last = datetime(2026, 11, 29, 13, 5, tzinfo=UTC)
    window = window_state(Ledger("5511", last_inbound_at=last), NOW)
    u = called_off(Skip("window_closed"), "appointment_canceled", window)
    assert u.reason is not None and u.reason["last_inbound_at"] and u.reason["expires_at"]
    assert _text(u, "pt-BR") == (
        "Janela de 24 h fechada: a última mensagem do cliente foi em 29/11/2026 10:05 e a "
        "janela expirou em 30/11/2026 10:05."
    )


def test_an_internal_error_fails_an_unclaimed_job_and_leaves_a_claimed_one_uncertain() -> None:
    unclaimed, claimed = internal_error("KeyError: 'x'", NOW, S)
    assert (unclaimed.state, unclaimed.reason_code) == (st.FAILED, "internal_error")
    assert (claimed.state, claimed.reason_code) == (st.UNCERTAIN, "unknown_internal_error")
    assert claimed.due_at == NOW + timedelta(seconds=S.uncertain_timeout_s)
    assert "KeyError: 'x'" in (_text(unclaimed, "en") or "")
    assert "may have gone out" in (_text(claimed, "en") or "")


def test_a_dry_run_is_sent_with_a_made_up_wamid() -> None:
    u = dry_run_sent("job1")
    assert (u.state, u.wamid, u.dry_run) == (st.SENT, "dryrun.job1", True)


def test_a_reason_stored_with_its_sentences_reads_as_stored() -> None:
    old = {"pt-BR": "Texto antigo.", "en": "Old text.", "code": 131026}
    assert reason_text(old, "en", SP) == "Old text."
    assert reason_text(old, "pt-BR", SP) == "Texto antigo."
    assert reason_text(None, "en", SP) is None


@given(
    hs.dictionaries(
        hs.sampled_from(
            ["code", "timeout_s", "last_inbound_at", "expires_at", "error", "error_code"]
        ),
        hs.one_of(hs.none(), hs.booleans(), hs.integers(), hs.floats(), hs.text(max_size=30)),
    ),
    hs.sampled_from(sorted(TEXTS)),
)
def test_a_malformed_stored_reason_never_breaks_a_page(
    stored: dict[str, object], code: str
) -> None:
    stored.setdefault("code", code)
    for locale in ("pt-BR", "en"):
        assert isinstance(reason_text(stored, locale, SP), str)


def test_an_unknown_code_reads_as_itself() -> None:
    assert reason_text(reason("something_new"), "en", SP) == "something_new"
