"""The incident pages and what surrounds them: the public ``/status`` shows the public note and
nothing else; the JSON of the operator pages is exactly their types; the SOP's actions are
carried out and audited; the metrics count incidents; the CLI drives them all."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import msgspec
import trio
import trio.testing

from recado.http.incident_pages import IncidentPage, IncidentsPage
from recado.http.status_page import StatusPage
from tests.conftest import running_daemon
from tests.incident_helpers import incident_stack
from tests.process_helpers import cli

SECRET_BITS = (
    "Erro interno do banco: disco cheio",  # the description (team only)
    "nota só para a equipe",  # the update's note
    "5511987650001",  # a client who wrote during the incident
    "manual",  # the cause code
    "cause",
    "root_cause",
    "timeline",
)


async def test_status_shows_the_public_note_and_nothing_else(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    contact = 'contingency_contact = "atendimento@estudio.com.br"\n'
    async with incident_stack(daemon_dir, mock_clock, incidents=contact) as s:
        quiet = await s.client.get(f"{s.public}/status")
        assert quiet.status_code == 200
        assert "funcionando normalmente" in quiet.text
        incident_id = (
            await s.post(
                "/incidents",
                {
                    "severity": "sev1",
                    "title": "Instabilidade no WhatsApp",
                    "description": "Erro interno do banco: disco cheio",
                },
            )
        ).json()["id"]
        await s.post(f"/incidents/{incident_id}/actions/contingency_on")
        await s.inbound("5511987650001", "Oi")
        # No public note yet: the status page says nothing of it.
        assert "Instabilidade" not in (await s.client.get(f"{s.public}/status")).text
        note = "Título: Instabilidade no WhatsApp\nImpacto: mensagens podem atrasar."
        await s.post(
            f"/incidents/{incident_id}/update",
            {"note": "nota só para a equipe", "public_note": note},
        )
        page = await s.client.get(f"{s.public}/status")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "Impacto: mensagens podem atrasar." in page.text
        assert "Início: 01/12/2026 10:00" in page.text
        for bit in SECRET_BITS:
            assert bit not in page.text, bit
        data = (await s.client.get(f"{s.public}/status.json")).json()
        assert msgspec.to_builtins(msgspec.convert(data, StatusPage)) == data
        (shown,) = data["notes"]
        assert set(shown) == {"title", "state", "started", "updated", "note"}
        assert shown["note"] == note
        for bit in SECRET_BITS:
            assert bit not in json.dumps(data, ensure_ascii=False), bit
        # The operator listener has no such page: it lives on the public one only.
        assert (await s.client.get(f"{s.operator}/status")).status_code == 404
        # Resolved: gone from the status page.
        await s.post(
            f"/incidents/{incident_id}/resolve",
            {"root_cause": "x", "corrective_actions": "y", "force": True, "reason": "teste"},
        )
        assert (await s.client.get(f"{s.public}/status.json")).json()["notes"] == []


async def test_the_pages_json_is_their_types_and_the_html_lists_the_sop(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev2", "title": "X"})).json()["id"]
        for path, page in (
            (f"/incidents/{incident_id}.json", IncidentPage),
            ("/incidents.json?state=active&severity=sev2", IncidentsPage),
        ):
            body = await s.get(path)
            assert msgspec.to_builtins(msgspec.convert(body, page)) == body, path
        detail = await s.get(f"/incidents/{incident_id}.json")
        diagnosis = detail["diagnosis"]
        assert diagnosis["graph"]["reachable"] is True  # the Graph double answers
        assert diagnosis["token"]["connection"] == "configured"
        assert diagnosis["meta_status_url"].startswith("https://")
        html = (await s.client.get(f"{s.operator}/incidents/{incident_id}")).text
        order = [
            "check-token",
            "check-graph",
            "check-queues",
            "check-webhooks",
            "check-breakers",
            "check-actors",
            "check-meta",
            "check-journal",
        ]
        positions = [html.index(f'id="{name}"') for name in order]
        assert positions == sorted(positions)
        for button in ("act-restart", "act-reconnect", "act-kill-on", "act-mitigated"):
            assert f'id="{button}"' in html
        assert "journalctl -u recado" in html
        bad = await s.client.get(f"{s.operator}/incidents.json?state=lost", headers=s.key)
        assert bad.status_code == 422 and bad.json()["error"] == "invalid_field"
        assert (await s.client.get(f"{s.operator}/incidents/999.json")).status_code == 404


async def test_the_sops_actions_are_carried_out_and_audited(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev1", "title": "X"})).json()["id"]
        restart = await s.post(f"/incidents/{incident_id}/actions/restart_actors")
        assert restart.status_code == 200, restart.text
        restarted = restart.json()["restarted"]
        assert {"sender", "webhook_processor", "delivery_worker"} <= set(restarted)
        assert "storage" not in restarted and "http_operator" not in restarted
        await s.settle()
        actors = s.daemon.supervisor.actors
        assert actors["sender"].manual_restarts == 1 and actors["sender"].restarts == 0
        assert actors["sender"].state == "running"
        on = await s.post(f"/incidents/{incident_id}/actions/kill_switch_on")
        assert on.status_code == 200 and s.daemon.kill_switch_on
        off = await s.post(f"/incidents/{incident_id}/actions/kill_switch_off")
        assert off.status_code == 200 and not s.daemon.kill_switch_on
        mitigated = await s.post(f"/incidents/{incident_id}/actions/mitigated")
        assert mitigated.json()["incident"]["state"] == "mitigated"
        clocks = {
            c["name"]: c["state"] for c in (await s.get(f"/incidents/{incident_id}.json"))["clocks"]
        }
        assert clocks["workaround"] == "met"
        audit = [
            r["action"]
            for r in s.rows(
                "SELECT action FROM audit_log WHERE action != 'incident.open' ORDER BY id"
            )
        ]
        assert audit == [
            "incident.restart_actors",
            "whatsapp.kill_switch",
            "incident.kill_switch_on",
            "whatsapp.kill_switch",
            "incident.kill_switch_off",
            "incident.mitigated",
        ]
        unknown = await s.post(f"/incidents/{incident_id}/actions/delete_everything")
        assert unknown.status_code == 404
        stranger = await s.client.post(
            f"{s.operator}/incidents/{incident_id}/actions/kill_switch_on"
        )
        assert stranger.status_code == 401


async def test_metrics_count_open_incidents_and_the_time_to_resolve(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        first = (await s.post("/incidents", {"severity": "sev1", "title": "A"})).json()["id"]
        await s.post("/incidents", {"severity": "sev2", "title": "B"})
        await s.advance(40 * 60, step=20)
        text = (await s.client.get(f"{s.operator}/metrics")).text
        assert 'recado_incidents_open{severity="sev1"} 1.0' in text
        assert 'recado_incidents_open{severity="sev2"} 1.0' in text
        await s.post(
            f"/incidents/{first}/resolve",
            {"root_cause": "x", "corrective_actions": "y", "force": False},
        )
        await s.advance(30, step=10)
        text = (await s.client.get(f"{s.operator}/metrics")).text
        assert 'recado_incidents_open{severity="sev1"} 0.0' in text
        assert 'recado_incident_time_to_resolve_seconds_count{severity="sev1"} 1.0' in text
        assert (
            'recado_incident_time_to_resolve_seconds_bucket{le="3600.0",severity="sev1"} 1.0'
            in text
        )


async def test_the_cli_opens_updates_lists_and_resolves(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir, test_hooks=False) as daemon:
        config = daemon.config_path

        def run(*args: str) -> str:
            done = cli(config, "incident", *args)
            assert done.returncode == 0, done.stderr
            return done.stdout

        opened = await trio.to_thread.run_sync(
            lambda: run("open", "--severity", "sev2", "--title", "Lento", "--description", "d")
        )
        assert opened.startswith("opened #1")
        updated = await trio.to_thread.run_sync(
            lambda: run("update", "1", "--note", "olhando", "--public-note", "Estamos olhando.")
        )
        assert "next update due" in updated
        listed = await trio.to_thread.run_sync(lambda: run("list", "--state", "active"))
        assert "#1" in listed and "Lento" in listed
        refused = await trio.to_thread.run_sync(
            lambda: cli(
                config, "incident", "resolve", "1", "--root-cause", "x", "--corrective-actions", "y"
            )
        )
        assert refused.returncode == 1 and "409" in refused.stderr
        forced = await trio.to_thread.run_sync(
            lambda: run(
                "resolve",
                "1",
                "--root-cause",
                "x",
                "--corrective-actions",
                "y",
                "--force",
                "teste do CLI",
            )
        )
        assert forced.startswith("resolved #1 (forced)")
        async with httpx.AsyncClient() as client:
            page = await client.get(f"{daemon.listeners['operator'].url}/incidents/1.json")
        assert page.json()["incident"]["forced_reason"] == "teste do CLI"


async def test_the_incidents_section_reloads_and_the_contingency_follows(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev2", "title": "X"})).json()["id"]
        refused = await s.post(f"/incidents/{incident_id}/actions/contingency_on")
        assert refused.status_code == 409
        path = s.daemon.config_path
        text = path.read_text().replace(
            "[incidents]\n",
            '[incidents]\ncontingency_channel = "phone"\ncontingency_contact = "+5511999990000"\n',
        )
        path.write_text(text)
        reload = await s.post("/config/reload")
        assert reload.status_code == 200, reload.text
        assert reload.json()["applied"] == [
            "incidents.contingency_channel",
            "incidents.contingency_contact",
        ]
        assert (await s.post(f"/incidents/{incident_id}/actions/contingency_on")).status_code == 200
        await s.inbound("5511987650009")
        (reply,) = s.rows("SELECT text_body FROM messages WHERE kind = 'contingency_reply'")
        assert "o telefone +5511999990000" in reply["text_body"]
        bad = path.read_text().replace('"+5511999990000"', '"ligue pra gente"')
        path.write_text(bad)
        refused_reload = await s.post("/config/reload")
        assert refused_reload.status_code == 422
        assert "incidents.contingency_contact" in refused_reload.json()["detail"]
