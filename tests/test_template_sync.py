"""Template sync and the checks before a send, end to end: the real daemon, the Graph double
listing the WABA's templates over HTTP, its status webhooks, and an injected clock for the
hourly sync (issue 13 item 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import trio

from recado.actors.isolation import STORAGE_RETRY_S
from recado.clock import TrioClock
from recado.testing.graph_templates import TemplateSpec, listing_item
from tests.hub_helpers import real_pause
from tests.template_helpers import reason_of, stored, template_stack
from tests.test_sender import book, notice_reaches, settle
from tests.test_storage_fault_isolation import LOCK_HELD_S, write_lock
from tests.webhook_helpers import query

FIVE = ["client_name", "service", "date", "time", "location"]


def _specs(**overrides: TemplateSpec) -> dict[str, TemplateSpec]:
    return {
        "aviso_de_agendamento": TemplateSpec("pt_BR", 5, 3),
        "confirmacao_de_agendamento_24h": TemplateSpec("pt_BR", 5, 3),
        **overrides,
    }


async def test_a_template_paused_by_webhook_has_its_sends_skipped_with_the_reason(
    daemon_dir: Path,
) -> None:
    async with template_stack(daemon_dir, _specs()) as s:
        await s.synced()
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "APPROVED"
        assert await s.double.set_status("aviso_de_agendamento", "PAUSED") == 200
        await s.daemon.commands.webhooks.drain()
        row = stored(s.daemon, "aviso_de_agendamento")
        assert (row["status"], row["status_source"]) == ("PAUSED", "webhook")

        await book(s.daemon, s.client)
        await notice_reaches(s.daemon, "skipped")
        reason = reason_of(s.daemon)
        assert reason["code"] == "template_not_approved"
        assert reason["pt-BR"] == (
            "O modelo aviso_de_agendamento (pt_BR) está pausado na Meta; só modelos "
            "aprovados podem ser enviados."
        )
        assert reason["en"].startswith("The template aviso_de_agendamento (pt_BR) is paused")
        assert s.double.sends() == []  # it never reached Meta

        # Meta lifts the pause: the next send goes out.
        await s.double.set_status("aviso_de_agendamento", "REINSTATED")
        await s.daemon.commands.webhooks.drain()
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "APPROVED"
        await book(s.daemon, s.client, apt="apt-2")
        await settle(
            s.daemon,
            "SELECT state FROM messages WHERE appointment_id = 'apt-2' "
            "AND kind = 'appointment_created'",
            [{"state": "sent"}],
        )
        assert [r.answered for r in s.double.sends()] == ["ok"]


async def test_a_configured_template_with_a_parameter_count_meta_does_not_have(
    daemon_dir: Path,
) -> None:
    specs = _specs(aviso_de_agendamento=TemplateSpec("pt_BR", 4, 3))
    async with template_stack(daemon_dir, specs) as s:
        await s.synced()
        await book(s.daemon, s.client)
        await notice_reaches(s.daemon, "skipped")
        reason = reason_of(s.daemon)
        assert reason["code"] == "template_body_params"
        assert reason["pt-BR"] == (
            "O modelo aviso_de_agendamento (pt_BR) tem 4 parâmetros no corpo na Meta, mas a "
            "configuração envia 5."
        )
        assert (reason["meta"], reason["configured"]) == (4, 5)
        # Before, Meta answered 132000 after the fact; now nothing leaves.
        assert s.double.sends() == []


async def test_the_sync_follows_every_page_with_the_cursor_on_our_own_url(
    daemon_dir: Path,
) -> None:
    many = {f"modelo_{i:03d}": TemplateSpec("pt_BR", i % 4, 0) for i in range(230)}
    async with template_stack(daemon_dir, _specs(**many)) as s:
        await s.synced()
        (sync,) = query(s.daemon, "SELECT outcome, templates, trigger FROM wa_template_syncs")
        assert sync == {"outcome": "ok", "templates": 232, "trigger": "start"}
        assert len(query(s.daemon, "SELECT name FROM wa_templates")) == 232
        listings = s.listings()
        assert len(listings) == 3
        assert all(r.headers["authorization"] == "Bearer graph-token-for-tests" for r in listings)
        row = stored(s.daemon, "modelo_007")
        assert row["parameter_format"] == "POSITIONAL"
        assert row["body_params_json"] == '["1", "2", "3"]'
        assert (row["category"], row["quality"]) == ("UTILITY", "GREEN")


async def test_the_hourly_sync_sees_a_change_no_webhook_told(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with template_stack(daemon_dir, _specs(), clock=clock) as s:
        await s.synced()
        s.double.templates["aviso_de_agendamento"].status = "DISABLED"
        mock_clock.jump(3500)
        await real_pause()
        assert len(s.listings()) == 1
        mock_clock.jump(101)
        await s.synced(2)
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "DISABLED"
        (last,) = query(s.daemon, "SELECT trigger FROM wa_template_syncs WHERE id = 2")
        assert last["trigger"] == "hourly"


async def test_an_item_that_cannot_be_read_is_set_aside_and_the_rest_is_kept(
    daemon_dir: Path,
) -> None:
    async with template_stack(daemon_dir, _specs()) as s:
        await s.synced()
        good = listing_item("aviso_de_agendamento", TemplateSpec("pt_BR", 5, 3))
        s.double.listing_script.append(
            (200, {"data": [good, "junk", {"name": "sem_status", "language": "pt_BR"}]})
        )
        answer = (await s.post("/templates/sync")).json()["sync"]
        assert (answer["outcome"], answer["templates"], answer["set_aside"]) == ("ok", 1, 2)
        assert [r["name"] for r in query(s.daemon, "SELECT name FROM wa_templates")] == [
            "aviso_de_agendamento"
        ]


async def test_an_answer_that_is_no_listing_fails_the_read_and_keeps_what_was_known(
    daemon_dir: Path,
) -> None:
    deep: list[object] = []
    for _ in range(100):
        deep = [deep]
    looping = {
        "data": [],
        "paging": {"cursors": {"after": "QUFB"}, "next": "https://graph.example/next"},
    }
    answers = [
        ((200, {"templates": []}), "bad_answer"),
        ((200, {"data": deep}), "bad_answer"),
        ((200, [1, 2]), "bad_answer"),
        ((500, {"oops": True}), "http_500"),
        ((400, {"error": {"code": 100, "message": "(#100) Invalid parameter"}}), "graph_100"),
    ]
    async with template_stack(daemon_dir, _specs()) as s:
        await s.synced()
        for (status, body), code in answers:
            s.double.listing_script.append((status, body))
            failed = (await s.post("/templates/sync")).json()["sync"]
            assert (failed["outcome"], failed["error_code"]) == ("failed", code), body
            assert len(query(s.daemon, "SELECT name FROM wa_templates")) == 2
        s.double.listing_script.extend([(200, looping), (200, looping)])
        failed = (await s.post("/templates/sync")).json()["sync"]
        assert failed["error_en"].endswith("(the paging cursor repeats).")
        bad = query(
            s.daemon, "SELECT error_pt FROM wa_template_syncs WHERE error_code = 'graph_100'"
        )
        assert bad == [
            {
                "error_pt": "A Meta recusou a leitura dos modelos (HTTP 400, código 100): "
                "(#100) Invalid parameter."
            }
        ]


async def test_a_storage_fault_during_the_hourly_read_is_nobodys_fault(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime.now(UTC))
    async with template_stack(daemon_dir, _specs(), clock=clock) as s:
        await s.synced()
        s.double.templates["aviso_de_agendamento"].status = "PAUSED"
        with write_lock(s.daemon):
            mock_clock.jump(3601)
            await real_pause(LOCK_HELD_S)
            assert len(s.listings()) >= 2  # it read Meta, and could not record it
            assert stored(s.daemon, "aviso_de_agendamento")["status"] == "APPROVED"
        mock_clock.jump(STORAGE_RETRY_S + 0.1)
        await s.synced(2)
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "PAUSED"
        # (template_stack() asserts on exit that no actor was restarted.)
