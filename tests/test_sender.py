"""The sender end to end: events in, the Graph double on the other side, webhooks back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.clock import Clock
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from recado.testing.graph_double import GraphDouble
from tests.conftest import running_daemon
from tests.reasons import reason_in
from tests.webhook_helpers import APP_SECRET, post_body, query, write_secrets

TOKEN = "graph-token-for-tests"
PHONE = "+5511987654321"


def _toml(double: GraphDouble, extra: str = "") -> str:
    return (
        'app_secret_file = "app_secret"\nverify_token_file = "verify_token"\n'
        'access_token_file = "token"\nphone_number_id = "106540352242922"\n'
        f'graph_base_url = "{double.url}"\nretry_base_s = 0.05\nretry_cap_s = 0.2\n'
        "messages_per_second = 0\n" + extra
    )


@asynccontextmanager
async def stack(
    directory: Path, extra: str = "", mode: str = "enabled", clock: Clock | None = None
) -> AsyncIterator[tuple[Daemon, GraphDouble, httpx.AsyncClient]]:
    write_secrets(directory)
    (directory / "token").write_text(TOKEN)
    double = GraphDouble(token=TOKEN, app_secret=APP_SECRET)
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        async with (
            running_daemon(
                directory, _toml(double, extra), mode=mode, test_hooks=False, clock=clock
            ) as daemon,
            httpx.AsyncClient() as client,
        ):
            double.webhook_url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
            yield daemon, double, client
            # A failing actor is restarted by the supervisor; a test must not pass on that.
            restarts = {n: a.restarts for n, a in daemon.supervisor.actors.items() if a.restarts}
            assert restarts == {}, restarts
        nursery.cancel_scope.cancel()


async def book(
    daemon: Daemon,
    client: httpx.AsyncClient,
    apt: str = "apt-1",
    eid: str | None = None,
    etype: str = "appointment.created",
    starts_in: timedelta = timedelta(days=2),
    **extra: Any,
) -> None:
    starts = (datetime.now(UTC) + starts_in).isoformat(timespec="seconds")
    data = {
        "appointment_id": apt,
        "client": {"name": "Ana Souza", "phone": PHONE},
        "service": "Corte",
        "starts_at": starts,
        "location": "Rua A, 10",
        **extra,
    }
    if etype == "appointment.canceled":
        data = {"appointment_id": apt, **extra}
    body = {
        "id": eid or f"evt-{apt}-{etype}",
        "type": etype,
        "occurred_at": "2026-11-24T10:00:00-03:00",
        "data": data,
    }
    response = await client.post(
        f"{daemon.listeners['public'].url}/api/v1/events",
        json=body,
        headers={"X-API-Key": daemon.api_key},
    )
    assert response.status_code in (200, 202), response.text


async def settle(daemon: Daemon, sql: str, expected: Any, *args: Any) -> None:
    """Wait (bounded) until the query gives ``expected``; the sender works asynchronously."""
    with trio.fail_after(10):
        while True:
            if query(daemon, sql, *args) == expected:
                return
            await trio.sleep(0.02)


async def notice_reaches(daemon: Daemon, state: str) -> None:
    await settle(
        daemon, "SELECT state FROM messages WHERE kind = 'appointment_created'", [{"state": state}]
    )


def notice(daemon: Daemon) -> dict[str, Any]:
    return query(daemon, "SELECT * FROM messages WHERE kind = 'appointment_created'")[0]


async def test_dry_run_runs_the_pipeline_but_sends_nothing(daemon_dir: Path) -> None:
    async with stack(daemon_dir, mode="dry_run") as (daemon, double, client):
        await book(daemon, client)
        await settle(
            daemon,
            "SELECT state, dry_run FROM messages WHERE kind = 'appointment_created'",
            [{"state": "sent", "dry_run": 1}],
        )
        assert double.requests == []
        attempt = query(daemon, "SELECT outcome, request_json FROM message_attempts")[0]
        assert attempt["outcome"] == "dry_run"
        request = json.loads(attempt["request_json"])
        params = [p["text"] for p in request["template"]["components"][0]["parameters"]]
        assert params[0] == "Ana Souza" and params[1] == "Corte" and params[4] == "Rua A, 10"
        assert len(params[2]) == 10 and params[2][2] == "/"  # dd/mm/aaaa


async def test_notice_goes_out_once_and_statuses_follow(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        job = notice(daemon)
        (sent,) = double.sends_for(job["id"])
        template = sent.body["template"]
        assert template["name"] == "aviso_de_agendamento"
        assert [c["parameters"][0]["payload"] for c in template["components"][1:]] == [
            "CONFIRM:apt-1",
            "RESCHEDULE:apt-1",
            "TALK:apt-1",
        ]
        assert sent.body["to"] == PHONE
        await double.emit_statuses(job["wamid"], ["sent", "delivered", "read"], PHONE, shuffle=True)
        await daemon.commands.webhooks.drain()
        assert notice(daemon)["state"] == "read"
        # The reminder is planned for later, not sent.
        assert query(daemon, "SELECT state FROM messages WHERE kind='appointment_reminder'") == [
            {"state": "queued"}
        ]


async def test_template_error_fails_with_a_portuguese_reason(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(1, 132001, message="(#132001) Template name does not exist")
        await book(daemon, client)
        await notice_reaches(daemon, "failed")
        reason = notice(daemon)["reason_json"]
        assert reason_in(reason, "pt-BR") == "O modelo não existe neste idioma ou não foi aprovado."
        assert query(daemon, "SELECT code FROM alerts") == [{"code": "graph_132001"}]


async def test_throttling_and_5xx_are_retried_then_sent(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(1, 130429, http_status=400)
        double.answer_next(1, 503)
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        job = notice(daemon)
        assert [r.answered for r in double.sends_for(job["id"])] == [
            "error 130429",
            "http 503",
            "ok",
        ]
        outcomes = query(daemon, "SELECT outcome FROM message_attempts ORDER BY n")
        assert [o["outcome"] for o in outcomes] == ["rejected", "rejected", "sent"]


async def test_transient_errors_give_up_as_dead(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "max_attempts = 3\n") as (daemon, double, client):
        double.fail_next(5, 131000, http_status=500)
        await book(daemon, client)
        await notice_reaches(daemon, "dead")
        assert len(double.sends_for(notice(daemon)["id"])) == 3


async def test_auth_error_pauses_sending_and_raises_a_critical_alert(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(1, 190, http_status=401, subcode=463)
        await book(daemon, client)
        await notice_reaches(daemon, "failed")
        await book(daemon, client, apt="apt-2")
        await trio.sleep(0.3)
        # Jobs wait while the token is broken; nothing else reached Meta.
        assert query(
            daemon,
            "SELECT state FROM messages WHERE appointment_id = 'apt-2' AND "
            "kind = 'appointment_created'",
        ) == [{"state": "queued"}]
        assert len(double.sends()) == 1
        alert = query(daemon, "SELECT severity, code, text_pt FROM alerts")[0]
        assert alert["severity"] == "critical" and alert["code"] == "whatsapp_auth"
        assert "Motivo: o token expirou." in alert["text_pt"]
        dashboard = (await client.get(f"{daemon.listeners['operator'].url}/dashboard.json")).json()
        assert dashboard["status"] == "critical"


async def test_dropped_connection_is_uncertain_and_resolved_by_a_status(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.drop_next(1)
        await book(daemon, client)
        await notice_reaches(daemon, "uncertain")
        job = notice(daemon)
        await trio.sleep(0.3)
        assert len(double.sends_for(job["id"])) == 1  # never retried automatically
        # Meta did accept it: its status webhook carries the job id.
        await post_body(
            daemon,
            client,
            wb.envelope([wb.status("wamid.LATE1", "delivered", callback_data=job["id"])]),
        )
        await daemon.commands.webhooks.drain()
        assert (notice(daemon)["state"], notice(daemon)["wamid"]) == ("delivered", "wamid.LATE1")


async def test_uncertain_without_a_status_dies_as_outcome_unknown(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "uncertain_timeout_s = 0.3\n") as (daemon, double, client):
        double.drop_next(1)
        await book(daemon, client)
        await settle(
            daemon,
            "SELECT state, reason_code FROM messages WHERE kind = 'appointment_created'",
            [{"state": "dead", "reason_code": "outcome_unknown"}],
        )
        assert len(double.sends()) == 1


async def test_cancellation_notice_needs_an_open_window(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        await book(daemon, client, apt="a1")
        await book(daemon, client, apt="a1", etype="appointment.canceled", notify_client=True)
        await settle(
            daemon,
            "SELECT state, reason_code FROM messages WHERE kind = 'appointment_canceled'",
            [{"state": "skipped", "reason_code": "no_inbound"}],
        )
        # The client writes; the next cancellation notice goes out as free text.
        now = int(datetime.now(UTC).timestamp())
        await post_body(
            daemon, client, wb.envelope([wb.inbound_text("oi", wa_id=PHONE[1:], ts=now - 60)])
        )
        await daemon.commands.webhooks.drain()
        await book(daemon, client, apt="a2")
        await book(
            daemon,
            client,
            apt="a2",
            etype="appointment.canceled",
            notify_client=True,
            reason="imprevisto",
        )
        await settle(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_canceled' "
            "AND appointment_id = 'a2'",
            [{"state": "sent"}],
        )
        text = next(r for r in double.sends() if r.body.get("type") == "text")
        assert text.body["text"]["body"].startswith("Olá, Ana Souza! Seu horário de Corte em ")
        assert "Motivo: imprevisto." in text.body["text"]["body"]


async def test_closed_window_reason_names_the_times(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _, client):
        old = int((datetime.now(UTC) - timedelta(hours=30)).timestamp())
        await post_body(
            daemon, client, wb.envelope([wb.inbound_text("oi", wa_id=PHONE[1:], ts=old)])
        )
        await daemon.commands.webhooks.drain()
        await book(daemon, client, apt="a1")
        await book(daemon, client, apt="a1", etype="appointment.canceled", notify_client=True)
        await settle(
            daemon,
            "SELECT state, reason_code FROM messages WHERE kind = 'appointment_canceled'",
            [{"state": "skipped", "reason_code": "window_closed"}],
        )
        reason = json.loads(
            query(daemon, "SELECT reason_json FROM messages WHERE kind = 'appointment_canceled'")[
                0
            ]["reason_json"]
        )
        assert reason_in(json.dumps(reason), "pt-BR").startswith(
            "Janela de 24 h fechada: a última mensagem do cliente foi em "
        )
        assert reason["last_inbound_at"] and reason["expires_at"]


async def test_kill_switch_holds_jobs_until_turned_off(daemon_dir: Path) -> None:
    from recado.runtime.reload import reload_config

    async with stack(daemon_dir, "kill_switch = true\n") as (daemon, double, client):
        await book(daemon, client)
        await trio.sleep(0.3)
        assert notice(daemon)["state"] == "queued" and double.sends() == []
        config = daemon.config_path
        config.write_text(config.read_text().replace("kill_switch = true", "kill_switch = false"))
        result = await reload_config(daemon, source="test")
        assert result["applied"] == ["whatsapp.kill_switch"]
        await notice_reaches(daemon, "sent")


async def test_allowlist_and_test_recipient(daemon_dir: Path) -> None:
    async with stack(daemon_dir / "a", 'allowlist = ["+5511900001111"]\n') as (daemon, double, c):
        await book(daemon, c)
        await settle(
            daemon,
            "SELECT state, reason_code FROM messages WHERE kind = 'appointment_created'",
            [{"state": "skipped", "reason_code": "not_allowlisted"}],
        )
        assert double.sends() == []
    async with stack(daemon_dir / "b", 'test_recipient = "+5511900002222"\n') as (
        daemon,
        double,
        c,
    ):
        await book(daemon, c)
        await notice_reaches(daemon, "sent")
        assert double.sends()[0].body["to"] == "+5511900002222"
        assert query(daemon, "SELECT to_number FROM message_attempts") == [
            {"to_number": "+5511900002222"}
        ]


async def test_a_client_written_to_in_a_burst_is_paced(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        for i in range(4):
            await book(daemon, client, apt=f"p{i}")
        await settle(daemon, "SELECT COUNT(*) AS n FROM messages WHERE state = 'sent'", [{"n": 3}])
        await trio.sleep(1)
        # The fourth notice to the same client waits for its turn (about 6 s), not spinning.
        assert len(double.sends()) == 3
        assert daemon.storage.stats.batches < 60
        await settle(daemon, "SELECT COUNT(*) AS n FROM messages WHERE state = 'sent'", [{"n": 4}])
        times = sorted(r.at for r in double.sends())
        assert times[3] - times[0] >= 5.0


async def test_window_closed_from_meta_is_skipped_not_failed(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.fail_next(1, 131047, message="Re-engagement message")
        await book(daemon, client)
        await settle(
            daemon,
            "SELECT state, reason_code FROM messages WHERE kind = 'appointment_created'",
            [{"state": "skipped", "reason_code": "window_closed"}],
        )
        reason = notice(daemon)["reason_json"]
        assert reason_in(reason, "pt-BR").startswith(
            "Mais de 24 h desde a última mensagem do cliente"
        )
        assert len(double.sends()) == 1


async def test_reschedule_sends_a_new_notice_and_moves_the_reminder(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        await book(daemon, client, starts_in=timedelta(days=2))
        await settle(daemon, "SELECT COUNT(*) AS n FROM messages WHERE state = 'sent'", [{"n": 1}])
        await book(daemon, client, etype="appointment.rescheduled", starts_in=timedelta(days=5))
        await settle(
            daemon,
            "SELECT kind, state FROM messages ORDER BY created_at, kind",
            [
                {"kind": "appointment_created", "state": "sent"},
                {"kind": "appointment_reminder", "state": "canceled"},
                {"kind": "appointment_created", "state": "sent"},
                {"kind": "appointment_reminder", "state": "queued"},
            ],
        )
        dates = [
            r.body["template"]["components"][0]["parameters"][2]["text"] for r in double.sends()
        ]
        assert len(dates) == 2 and dates[0] != dates[1]
