"""The hub's pure rules: breaker, HTTP outcomes, retry steps, cron plans, flow actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recado.rules import breaker as br
from recado.rules import http_outcome as ho
from recado.rules.flows import PlannedAction, actions_for, idempotency_key
from recado.rules.hub_message import NoRecipient, hub_message
from recado.rules.retry_schedule import delivery_delay, delivery_step
from recado.rules.schedule import plan

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SP = ZoneInfo("America/Sao_Paulo")


def test_breaker_opens_after_threshold_consecutive_failures() -> None:
    b = br.Breaker()
    b = br.on_failure(b, T0, 3)
    b = br.on_failure(b, T0, 3)
    assert (b.state, b.failure_count) == ("closed", 2)
    b = br.on_success(b)
    assert b.failure_count == 0  # consecutive: a success in between starts over
    for _ in range(3):
        b = br.on_failure(b, T0, 3)
    assert (b.state, b.opened_at) == ("open", T0)


def test_open_breaker_admits_nothing_until_open_s_then_one_probe() -> None:
    b = br.Breaker("open", 3, T0)
    ok, b = br.admit(b, T0 + timedelta(seconds=59), 60)
    assert not ok and b.state == "open"
    ok, b = br.admit(b, T0 + timedelta(seconds=60), 60)
    assert ok and b.state == "half_open" and b.probing
    ok, _ = br.admit(b, T0 + timedelta(seconds=61), 60)
    assert not ok  # only one probe at a time
    assert br.on_success(b).state == "closed"
    reopened = br.on_failure(b, T0 + timedelta(seconds=61), 3)
    assert (reopened.state, reopened.opened_at) == ("open", T0 + timedelta(seconds=61))
    assert br.on_abandoned(b).probing is False


def test_breaker_tick_and_reset() -> None:
    b = br.Breaker("open", 5, T0)
    assert br.tick(b, T0 + timedelta(seconds=10), 60) is b
    assert br.tick(b, T0 + timedelta(seconds=60), 60).state == "half_open"
    assert br.reset(b) == br.Breaker()
    assert b.reopens_at(60) == T0 + timedelta(seconds=60)
    assert br.Breaker().reopens_at(60) is None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, "done"),
        (204, "done"),
        (400, "permanent"),
        (401, "permanent"),
        (404, "permanent"),
        (422, "permanent"),
        (408, "transient"),
        (409, "transient"),
        (425, "transient"),
        (429, "transient"),
        (500, "transient"),
        (503, "transient"),
    ],
)
def test_status_classification(status: int, kind: str) -> None:
    outcome = ho.classify_status(status)
    assert outcome.kind == kind
    assert outcome.breaker_failure == (kind == "transient")
    assert str(status) in outcome.pt_br and str(status) in outcome.en


def test_reasons_say_what_follows() -> None:
    failed = ho.classify_status(503)
    assert failed.explain("pt-BR", "retrying", 1) == (
        "Erro no serviço (HTTP 503); nova tentativa agendada."
    )
    assert failed.explain("pt-BR", "dead", 5) == (
        "Erro no serviço (HTTP 503); desistimos após 5 tentativas."
    )
    assert (
        failed.explain("en", "dead", 5)
        == "The service failed (HTTP 503); gave up after 5 attempts."
    )
    assert failed.explain("pt-BR", "dead", 1).endswith("desistimos após 1 tentativa.")
    assert failed.explain("en", "dead", 1).endswith("gave up after 1 attempt.")
    refused = ho.classify_status(404)
    assert refused.explain("pt-BR", "dead", 1).endswith(
        "repetir não adianta sem corrigir o evento ou a configuração."
    )
    assert ho.classify_status(201).explain("en", "done", 1) == "Delivered (HTTP 201)."


def test_retry_after_seconds_and_http_date() -> None:
    assert ho.classify_status(429, "120").retry_after_s == 120
    date = "Thu, 26 Nov 2026 12:05:00 GMT"
    assert ho.classify_status(429, date, T0).retry_after_s == 300
    assert ho.classify_status(429, "soon").retry_after_s is None
    for kind in ("timeout", "connect", "error"):
        assert ho.classify_transport(kind, "x").kind == "transient"


def test_delivery_schedule_and_step() -> None:
    minutes = [delivery_delay(n, 0.5).total_seconds() / 60 for n in range(1, 9)]
    assert minutes == [1, 2, 5, 10, 30, 60, 60, 60]
    assert delivery_delay(1, 0.0).total_seconds() == pytest.approx(54)
    assert delivery_delay(1, 0.999999).total_seconds() == pytest.approx(66, abs=0.01)
    assert delivery_delay(1, 0.5, retry_after_s=600).total_seconds() == 600
    assert delivery_step(True, 1, 5, 0.5) == ("retrying", timedelta(minutes=1))
    assert delivery_step(True, 5, 5, 0.5) == ("dead", None)
    assert delivery_step(False, 1, 5, 0.5) == ("dead", None)


def test_cron_plan_catches_up_once_in_the_studio_zone() -> None:
    now = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 12:30 in São Paulo
    new = plan("0 8 * * *", None, now, SP)
    assert new.due is None
    assert new.next_fire == datetime(2026, 11, 27, 8, 0, tzinfo=SP)
    # Down since yesterday: three hourly fires missed, one run now.
    missed = plan("0 * * * *", now - timedelta(hours=3), now, SP)
    assert missed.due == datetime(2026, 11, 26, 12, 0, tzinfo=SP)
    handled = plan("0 * * * *", missed.due, now, SP)
    assert handled.due is None
    assert handled.next_fire == datetime(2026, 11, 26, 13, 0, tzinfo=SP)


def test_flow_actions_once_each_in_order() -> None:
    a = PlannedAction("http:crm:POST:/leads", "crm")
    b = PlannedAction("whatsapp:welcome", None, 7200)
    table = {"lead.created": (a, b, a)}
    assert actions_for(table, "lead.created") == (a, b)
    assert actions_for(table, "payment.received") == ()
    assert idempotency_key("evt_1", a.action) == "evt_1:http:crm:POST:/leads"


def test_hub_message_recipient_and_values() -> None:
    m = hub_message(
        {"id": "l1", "client": {"name": "Bia", "phone": "(11) 98765-4321"}, "service": "Corte"},
        "2026-11-26T12:00:00.000Z",
    )
    assert m.to == "+5511987654321"
    assert m.values["client_name"] == "Bia" and m.values["appointment_id"] == "l1"
    assert m.values["starts_at"] == "2026-11-26T12:00:00.000Z"
    flat = hub_message({"id": "x", "name": "Caio", "phone": "+14155550100"}, "t")
    assert (flat.to, flat.values["client_name"]) == ("+14155550100", "Caio")
    with pytest.raises(NoRecipient, match="no client phone"):
        hub_message({"id": "x"}, "t")
    with pytest.raises(NoRecipient) as exc:
        hub_message({"id": "x", "phone": "abc"}, "t")
    assert "telefone" in exc.value.pt_br
