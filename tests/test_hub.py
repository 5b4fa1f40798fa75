"""The integration hub end to end: the real daemon, real service doubles on loopback, and an
injected clock for the retry schedule, the breakers and delayed actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import trio

from recado.clock import TrioClock, parse_iso
from recado.services.client import CONNECTIONS_PER_SERVICE
from tests.hub_helpers import hub_stack, real_pause
from tests.webhook_helpers import query

FLOWS = """
[[flows]]
event = "lead.created"
actions = ["http:crm:POST:/leads", "http:ops:POST:/clients", "http:finance:PUT:/accounts"]
"""


async def test_fan_out_with_one_service_down(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with hub_stack(daemon_dir, extra=FLOWS, clock=clock, max_attempts=3) as hub:
        hub.services["finance"].fail(503)
        await hub.event("evt_1", name="Ana")
        await hub.until(
            "SELECT service, state, attempts FROM deliveries ORDER BY service",
            [
                {"service": "crm", "state": "done", "attempts": 1},
                {"service": "finance", "state": "retrying", "attempts": 1},
                {"service": "ops", "state": "done", "attempts": 1},
            ],
        )
        crm, ops = hub.services["crm"], hub.services["ops"]
        (lead,) = crm.received()
        assert lead.path == "/leads"
        assert lead.key == "evt_1:http:crm:POST:/leads"
        assert lead.headers["x-token"] == "secret-crm"
        assert lead.body == {
            "id": "evt_1",
            "type": "lead.created",
            "occurred_at": lead.body["occurred_at"],
            "data": {"id": "evt_1", "name": "Ana"},
        }
        assert hub.services["finance"].received("PUT")[0].key == "evt_1:http:finance:PUT:/accounts"

        # The retry waits its turn: about 1 minute (±10 %), then about 2; it goes when due,
        # not before.
        for n, (low, high) in ((2, (54, 66)), (3, (108, 132))):
            (row,) = query(
                hub.daemon,
                "SELECT d.next_attempt_at, MAX(a.started_at) AS last FROM deliveries d "
                "JOIN delivery_attempts a ON a.delivery_id = d.id WHERE d.service = 'finance'",
            )
            due = parse_iso(row["next_attempt_at"])
            assert low <= (due - parse_iso(row["last"])).total_seconds() <= high
            mock_clock.jump((due - clock.now()).total_seconds() - 2)
            await real_pause()
            assert len(hub.services["finance"].received("PUT")) == n - 1
            mock_clock.jump(3)
            await hub.until(
                "SELECT attempts FROM deliveries WHERE service = 'finance'", [{"attempts": n}]
            )
        await hub.until(
            "SELECT state FROM deliveries WHERE service = 'finance'", [{"state": "dead"}]
        )
        # The others were delivered once and never again.
        mock_clock.jump(3600)
        await real_pause()
        assert len(crm.received()) == 1 and len(ops.received()) == 1
        dlq = await hub.get("/dlq")
        assert dlq["total"] == 1
        (item,) = dlq["items"]
        assert item["event_id"] == "evt_1"
        assert item["destination"] == "http:finance:PUT:/accounts"
        assert item["attempts"] == 3
        assert item["reason"].startswith(
            "Erro no serviço (HTTP 503); desistimos após 3 tentativas."
        )
        assert item["created_at"]
        event = await hub.get("/events/evt_1.json")
        assert (event["type"], event["source"], event["data"]) == (
            "lead.created",
            "api",
            {"id": "evt_1", "name": "Ana"},
        )
        assert [(d["service"], d["state"], d["attempts"]) for d in event["deliveries"]] == [
            ("crm", "done", 1),
            ("ops", "done", 1),
            ("finance", "dead", 3),
        ]
        missing = await hub.client.get(f"{hub.operator}/events/nope.json")
        assert missing.status_code == 404
        dash = await hub.get("/dashboard.json")
        assert dash["queues"] == {
            "retry_queue": {"total": 0, "ready": 0},
            "dead_letter": {"total": 1},
        }
        assert dash["events"]["today"] == {"total": 1, "processed": 0, "failed": 1}
        metrics = (await hub.client.get(f"{hub.operator}/metrics")).text
        assert 'recado_deliveries_total{outcome="transient",service="finance"} 3.0' in metrics
        assert 'recado_deliveries_total{outcome="done",service="crm"} 1.0' in metrics
        assert 'recado_hub_queue{queue="dead"} 1.0' in metrics
        assert 'recado_breaker_state{service="finance"} 0.0' in metrics


async def test_dlq_retry_after_recovery_delivers_once(daemon_dir: Path) -> None:
    async with hub_stack(daemon_dir, extra=FLOWS, max_attempts=1) as hub:
        finance = hub.services["finance"]
        finance.fail(500)
        await hub.event("evt_2")
        await hub.until(
            "SELECT state FROM deliveries WHERE service = 'finance'", [{"state": "dead"}]
        )
        (item,) = (await hub.get("/dlq"))["items"]
        finance.ok()
        answer = await hub.post(f"/dlq/{item['id']}/retry")
        assert answer.status_code == 200
        assert answer.json() == {"message": "Item queued for retry", "event_id": "evt_2"}
        await hub.until(
            "SELECT state FROM deliveries WHERE service = 'finance'", [{"state": "done"}]
        )
        delivered = finance.received("PUT", answered="ok")
        assert [r.key for r in delivered] == ["evt_2:http:finance:PUT:/accounts"]
        assert len(finance.received("PUT")) == 2  # the failure, then the one delivery
        detail = await hub.get(f"/dlq/{item['id']}")
        assert [h["outcome"] for h in detail["history"]] == ["transient", "done"]
        assert (await hub.get("/dlq"))["total"] == 0
        again = await hub.post(f"/dlq/{item['id']}/retry")
        assert again.status_code == 409 and again.json()["error"] == "not_in_dlq"
        audit = query(hub.daemon, "SELECT action, target FROM audit_log WHERE action LIKE 'dlq.%'")
        assert audit == [{"action": "dlq.retry", "target": str(item["id"])}]
        assert (await hub.get("/dashboard.json"))["events"]["today"]["processed"] == 1


async def test_permanent_refusal_is_dead_at_once_and_archivable(daemon_dir: Path) -> None:
    async with hub_stack(daemon_dir, extra=FLOWS) as hub:
        hub.services["crm"].fail(422)
        await hub.event("evt_3")
        await hub.until(
            "SELECT state, attempts FROM deliveries WHERE service = 'crm'",
            [{"state": "dead", "attempts": 1}],
        )
        (item,) = (await hub.get("/dlq"))["items"]
        assert "422" in item["reason"] and "repetir não adianta" in item["reason"]
        archived = await hub.post(f"/dlq/{item['id']}/archive")
        assert archived.json() == {"message": "Item archived", "event_id": "evt_3"}
        assert (await hub.get("/dlq"))["total"] == 0
        assert [i["id"] for i in (await hub.get("/dlq?state=archived"))["items"]] == [item["id"]]
        refused = await hub.post(f"/dlq/{item['id']}/retry")
        assert refused.status_code == 409
        missing = await hub.post("/dlq/999/archive")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        unauthorized = await hub.client.post(f"{hub.operator}/dlq/{item['id']}/retry")
        assert unauthorized.status_code == 401
        bad = await hub.client.get(f"{hub.operator}/dlq.json?page=0")
        assert bad.status_code == 422


async def test_429_waits_as_long_as_the_service_asks(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with hub_stack(daemon_dir, extra=FLOWS, clock=clock) as hub:
        hub.services["ops"].too_many("600")
        await hub.event("evt_4")
        await hub.until(
            "SELECT state FROM deliveries WHERE service = 'ops'", [{"state": "retrying"}]
        )
        (row,) = query(hub.daemon, "SELECT next_attempt_at FROM deliveries WHERE service = 'ops'")
        wait = (parse_iso(row["next_attempt_at"]) - clock.now()).total_seconds()
        assert 590 <= wait <= 600
        hub.services["ops"].ok()
        mock_clock.jump(300)
        await real_pause()
        assert len(hub.services["ops"].received()) == 1
        mock_clock.jump(301)
        await hub.until("SELECT state FROM deliveries WHERE service = 'ops'", [{"state": "done"}])


async def test_breaker_opens_holds_half_opens_and_closes(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:finance:POST:/payments"]\n'
    async with hub_stack(
        daemon_dir, ("finance",), flows, clock=clock, threshold=2, open_s=120
    ) as hub:
        finance = hub.services["finance"]
        finance.fail(502)
        await hub.event("pay_1", "payment.received")
        await hub.event("pay_2", "payment.received")
        await hub.until("SELECT COUNT(*) AS n FROM deliveries WHERE attempts = 1", [{"n": 2}])
        breakers = (await hub.get("/circuit-breakers"))["breakers"]
        assert breakers["finance"]["state"] == "open"
        assert breakers["finance"]["failure_count"] == 2
        # While open, nothing goes and no attempts are spent, even when retries come due.
        await hub.event("pay_3", "payment.received")
        mock_clock.jump(100)
        await real_pause()
        assert len(finance.received()) == 2
        assert [d["attempts"] for d in hub.deliveries()] == [1, 1, 0]
        dash = await hub.get("/dashboard.json")
        assert dash["status"] == "degraded" and dash["breakers"]["finance"]["state"] == "open"
        assert dash["alerts"]["open"] == 1
        assert [a["code"] for a in (await hub.get("/alerts"))["items"]] == ["breaker_open"]
        # Half-open after open_s: one probe, which fails: open again, for another open_s.
        finance.fail(502)
        mock_clock.jump(21)
        await hub.until("SELECT COUNT(*) AS n FROM delivery_attempts", [{"n": 3}])
        await real_pause()
        assert len(finance.received()) == 3
        assert (await hub.get("/circuit-breakers"))["breakers"]["finance"]["state"] == "open"
        # The next probe succeeds: closed, and everything waiting goes at once.
        finance.ok()
        mock_clock.jump(121)
        await hub.until("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'done'", [{"n": 3}])
        assert (await hub.get("/circuit-breakers"))["breakers"]["finance"]["state"] == "closed"
        assert sorted(r.key for r in finance.received(answered="ok")) == [
            "pay_1:http:finance:POST:/payments",
            "pay_2:http:finance:POST:/payments",
            "pay_3:http:finance:POST:/payments",
        ]
        # Two openings, two alerts; the breaker closing resolved both.
        assert (await hub.get("/alerts"))["items"] == []
        alerts = (await hub.get("/alerts?all=1"))["items"]
        assert [(a["code"], a["subject"], a["severity"]) for a in alerts] == [
            ("breaker_open", "finance", "warning")
        ] * 2
        assert all(a["resolved_at"] for a in alerts)
        assert 'O serviço "finance" falhou 2 vezes seguidas' in alerts[1]["text"]


async def test_breaker_reset_and_restart_keeps_it_open(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    t0 = datetime.now(UTC)
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:finance:POST:/payments"]\n'
    options = {"threshold": 1, "open_s": 3600}
    async with hub_stack(daemon_dir, ("finance",), flows, clock=TrioClock(t0), **options) as hub:
        hub.services["finance"].fail(500)
        await hub.event("pay_1", "payment.received")
        await hub.until("SELECT state FROM breakers", [{"state": "open"}])
        opened_at = (await hub.get("/circuit-breakers"))["breakers"]["finance"]["opened_at"]
    # A restart ten minutes later: still open, same opening time, deliveries still held.
    later = TrioClock(t0 + timedelta(minutes=10))
    async with hub_stack(daemon_dir, ("finance",), flows, clock=later, **options) as hub:
        finance = hub.services["finance"]
        b = (await hub.get("/circuit-breakers"))["breakers"]["finance"]
        assert (b["state"], b["opened_at"]) == ("open", opened_at)
        mock_clock.jump(120)  # the retry (about a minute) is long due
        await real_pause()
        assert finance.received() == []
        reset = await hub.post("/circuit-breakers/finance/reset")
        assert reset.json() == {
            "message": "Breaker reset",
            "service": "finance",
            "state": "closed",
            "failure_count": 0,
        }
        await hub.until("SELECT state FROM deliveries", [{"state": "done"}])
        assert len(finance.received()) == 1
        assert (await hub.post("/circuit-breakers/nope/reset")).status_code == 404
        audit = query(hub.daemon, "SELECT action, target FROM audit_log")
        assert {"action": "breaker.reset", "target": "finance"} in audit


async def test_delayed_action_fires_at_its_time(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    flows = (
        '[[flows]]\nevent = "service.completed"\n'
        'actions = ["http:crm:POST:/visits", {action = "http:ops:POST:/feedback", delay = "2h"}]\n'
    )
    clock = TrioClock(datetime.now(UTC))
    async with hub_stack(daemon_dir, ("crm", "ops"), flows, clock=clock) as hub:
        await hub.event(
            "svc_1", "service.completed", client={"name": "Ana", "phone": "+5511987654321"}
        )
        await hub.until("SELECT state FROM deliveries WHERE service = 'crm'", [{"state": "done"}])
        mock_clock.jump(2 * 3600 - 5)
        await real_pause()
        assert hub.services["ops"].received() == []
        mock_clock.jump(6)
        await hub.until("SELECT state FROM deliveries WHERE service = 'ops'", [{"state": "done"}])
        (sent,) = hub.services["ops"].received()
        (row,) = query(
            hub.daemon,
            "SELECT started_at FROM delivery_attempts WHERE n = 1 AND "
            "delivery_id = (SELECT id FROM deliveries WHERE service = 'ops')",
        )
        (event,) = query(hub.daemon, "SELECT received_at FROM events")
        delay = parse_iso(row["started_at"]) - parse_iso(event["received_at"])
        assert timedelta(hours=2) <= delay <= timedelta(hours=2, seconds=3)
        assert sent.key == "svc_1:http:ops:POST:/feedback"


async def test_whatsapp_action_hands_a_job_to_the_sender(daemon_dir: Path) -> None:
    flows = '[[flows]]\nevent = "client.registered"\nactions = ["whatsapp:appointment_created"]\n'
    async with hub_stack(daemon_dir, ("crm",), flows) as hub:
        await hub.event(
            "cli_1", "client.registered", client={"name": "Bia", "phone": "11 98765-4321"}
        )
        await hub.event("cli_2", "client.registered", name="No Phone")
        await hub.until(
            "SELECT event_id, state FROM deliveries ORDER BY event_id",
            [{"event_id": "cli_1", "state": "done"}, {"event_id": "cli_2", "state": "dead"}],
        )
        await hub.until(
            "SELECT kind, to_number, state, dry_run FROM messages",
            [
                {
                    "kind": "appointment_created",
                    "to_number": "+5511987654321",
                    "state": "sent",
                    "dry_run": 1,
                }
            ],
        )
        (dead,) = (await hub.get("/dlq"))["items"]
        assert "telefone" in dead["reason"]


async def test_a_service_removed_from_the_config_sends_its_deliveries_to_the_dlq(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    t0 = datetime.now(UTC)
    flows = '[[flows]]\nevent = "lead.created"\nactions = ["http:crm:POST:/leads"]\n'
    async with hub_stack(daemon_dir, ("crm",), flows, clock=TrioClock(t0)) as hub:
        hub.services["crm"].fail(503)
        await hub.event("evt_gone")
        await hub.until("SELECT state FROM deliveries", [{"state": "retrying"}])
    # Restarted without crm (and without its flow): the waiting delivery is explained.
    later = TrioClock(t0 + timedelta(minutes=5))
    async with hub_stack(daemon_dir, ("ops",), clock=later) as hub:
        await hub.until("SELECT state FROM deliveries", [{"state": "dead"}])
        (item,) = (await hub.get("/dlq"))["items"]
        assert 'O serviço "crm" não está mais na configuração' in item["reason"]


async def test_a_queued_message_whose_template_left_the_config_fails_with_a_reason(
    daemon_dir: Path,
) -> None:
    template = (
        'kill_switch = true\n[whatsapp.templates.boas_vindas]\nname = "boas_vindas"\n'
        'language = "pt_BR"\nbody_params = ["client_name"]\nbuttons = []\n'
    )
    flows = '[[flows]]\nevent = "client.registered"\nactions = ["whatsapp:boas_vindas"]\n'
    async with hub_stack(daemon_dir, ("crm",), flows, whatsapp=template) as hub:
        await hub.event("cli_9", "client.registered", name="Bia", phone="+5511987654321")
        await hub.until(
            "SELECT kind, state FROM messages", [{"kind": "boas_vindas", "state": "queued"}]
        )
    async with hub_stack(daemon_dir, ("crm",)) as hub:
        await hub.until(
            "SELECT state, reason_code FROM messages",
            [{"state": "failed", "reason_code": "template_not_configured"}],
        )


async def test_a_hung_service_holds_only_its_own_share(daemon_dir: Path) -> None:
    flows = (
        '[[flows]]\nevent = "lead.created"\n'
        'actions = ["http:crm:POST:/leads", "http:ops:POST:/clients"]\n'
    )
    async with hub_stack(daemon_dir, ("crm", "ops"), flows, timeout_s=600) as hub:
        hub.services["crm"].hang()
        for i in range(40):
            await hub.event(f"evt_h{i}")
        await hub.until(
            "SELECT COUNT(*) AS n FROM deliveries WHERE service = 'ops' AND state = 'done'",
            [{"n": 40}],
        )
        assert len(hub.services["crm"].received()) == CONNECTIONS_PER_SERVICE
