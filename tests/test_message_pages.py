"""Messages for operators: list with filters, timeline, retry/discard, kill switch."""

from __future__ import annotations

from pathlib import Path

from tests.test_sender import book, notice, notice_reaches, settle, stack
from tests.webhook_helpers import query


async def test_list_filters_and_timeline(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        double.answer_next(1, 503)
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        job = notice(daemon)
        await double.emit_statuses(job["wamid"], ["delivered", "sent"], "+5511987654321")
        await daemon.commands.webhooks.drain()
        op = daemon.listeners["operator"].url
        items = (await client.get(f"{op}/messages.json", params={"state": "delivered"})).json()
        assert [m["id"] for m in items["items"]] == [job["id"]]
        queued = (
            await client.get(f"{op}/messages.json", params={"kind": "appointment_reminder"})
        ).json()["items"]
        assert [m["state"] for m in queued] == ["queued"]
        assert (await client.get(f"{op}/messages.json", params={"state": "x"})).status_code == 422
        by_phone = await client.get(f"{op}/messages.json", params={"phone": "+5511987654321"})
        assert len(by_phone.json()["items"]) == 2
        timeline = (await client.get(f"{op}/messages/{job['id']}.json")).json()["timeline"]
        assert [e["what"] for e in timeline] == ["queued", "attempt", "attempt", "status", "status"]
        assert [e.get("outcome") for e in timeline[1:3]] == ["rejected", "sent"]
        ignored = next(e for e in timeline if e["what"] == "status" and not e["applied"])
        assert ignored["reason"] == (
            "Chegou fora de ordem; um status mais avançado já havia chegado."
        )
        assert timeline[0]["local"].count("/") == 2  # dd/mm/aaaa HH:MM
        page = await client.get(f"{op}/messages/{job['id']}")
        assert "Tentativa" in page.text and "entregue" in page.text
        assert (await client.get(f"{op}/messages/nope")).status_code == 404


async def test_retry_and_discard_are_audited(daemon_dir: Path) -> None:
    async with stack(daemon_dir, "max_attempts = 1\n") as (daemon, double, client):
        double.fail_next(1, 131000, http_status=500)
        await book(daemon, client)
        await notice_reaches(daemon, "dead")
        job = notice(daemon)
        op = daemon.listeners["operator"].url
        headers = {"X-API-Key": daemon.api_key}
        assert (await client.post(f"{op}/messages/{job['id']}/retry")).status_code == 401
        retried = await client.post(f"{op}/messages/{job['id']}/retry", headers=headers)
        assert retried.json() == {"id": job["id"], "state": "queued", "previous_state": "dead"}
        await notice_reaches(daemon, "sent")
        again = await client.post(f"{op}/messages/{job['id']}/retry", headers=headers)
        assert again.status_code == 409
        reminder = query(daemon, "SELECT id FROM messages WHERE kind='appointment_reminder'")[0]
        discarded = await client.post(f"{op}/messages/{reminder['id']}/discard", headers=headers)
        assert discarded.json()["state"] == "canceled"
        actions = [a["action"] for a in (await client.get(f"{op}/audit.json")).json()["items"]]
        assert actions[:2] == ["messages.discard", "messages.retry"]
        assert len(double.sends_for(job["id"])) == 2


async def test_kill_switch_action_holds_and_releases(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        op = daemon.listeners["operator"].url
        headers = {"X-API-Key": daemon.api_key}
        on = await client.post(f"{op}/whatsapp/kill-switch", json={"on": True}, headers=headers)
        assert on.json() == {"kill_switch": True, "from_config": False}
        await book(daemon, client)
        dashboard = (await client.get(f"{op}/dashboard.json")).json()
        assert dashboard["whatsapp"]["kill_switch"] is True
        assert "kill_switch" in [r["code"] for r in dashboard["reasons"]]
        assert notice(daemon)["state"] == "queued" and double.sends() == []
        bad = await client.post(f"{op}/whatsapp/kill-switch", json={"on": "yes"}, headers=headers)
        assert bad.status_code == 422
        await client.post(f"{op}/whatsapp/kill-switch", json={"on": False}, headers=headers)
        await notice_reaches(daemon, "sent")
        assert query(daemon, "SELECT value_json FROM settings WHERE key='kill_switch'") == [
            {"value_json": "false"}
        ]


async def test_a_template_job_not_yet_sent_names_its_template(daemon_dir: Path) -> None:
    # A reminder's parameters are filled in when it leaves: before that (queued, or called
    # off first) its page said "Texto: —", as if a free-form message with no words.
    async with stack(daemon_dir, mode="dry_run") as (daemon, _double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        [reminder] = query(daemon, "SELECT id FROM messages WHERE kind = 'appointment_reminder'")
        op = daemon.listeners["operator"].url
        body = (await client.get(f"{op}/messages/{reminder['id']}.json")).json()
        assert body["sent"] is None and body["planned_template"] == (
            "confirmacao_de_agendamento_24h"
        )
        page = (await client.get(f"{op}/messages/{reminder['id']}")).text
        content = page.split('<section id="content">')[1].split("</section>")[0]
        assert "confirmacao_de_agendamento_24h" in content and "Modelo" in content
        assert "preenchidos no envio" in content and "Texto" not in content
        # Called off before it left: the same, since nothing was sent in its place.
        await book(daemon, client, etype="appointment.canceled", eid="evt-cancel")
        await settle(
            daemon,
            "SELECT state FROM messages WHERE kind = 'appointment_reminder'",
            [{"state": "canceled"}],
        )
        page = (await client.get(f"{op}/messages/{reminder['id']}")).text
        content = page.split('<section id="content">')[1].split("</section>")[0]
        assert "confirmacao_de_agendamento_24h" in content and "Texto" not in content
