"""The templates page, its sync action, the dashboard's warnings and ``recado templates``:
the real daemon against the Graph double over HTTP."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import trio

from recado.cli.main import main as cli_main
from recado.http.template_pages import TemplatesPage
from recado.testing.graph_templates import TemplateSpec
from tests.reasons import reason_in
from tests.template_helpers import reason_of, stored, template_stack
from tests.test_page_shapes import same_shape
from tests.test_sender import book, notice_reaches, settle
from tests.webhook_helpers import query

MISMATCHED = {
    # Four body parameters and two quick replies where the configuration sends five and three.
    "aviso_de_agendamento": TemplateSpec("pt_BR", 4, 2),
    # Only in Spanish.
    "confirmacao_de_agendamento_24h": TemplateSpec("es", 5, 3),
    "promo_natal": TemplateSpec("pt_BR", 1, 0, category="MARKETING", quality="YELLOW"),
}


async def test_the_page_lists_each_template_with_what_differs(daemon_dir: Path) -> None:
    async with template_stack(daemon_dir, MISMATCHED) as s:
        await s.synced()
        data = await s.get("/templates.json")
        configured = {c["key"]: c for c in data["configured"]}
        created = configured["appointment_created"]
        assert [p["code"] for p in created["problems"]] == [
            "template_body_params",
            "template_buttons",
        ]
        assert created["problems"][0]["text"] == (
            "O modelo aviso_de_agendamento (pt_BR) tem 4 parâmetros no corpo na Meta, mas a "
            "configuração envia 5."
        )
        assert created["problems"][1]["text"] == (
            "O modelo aviso_de_agendamento (pt_BR) tem 2 botões de resposta rápida na Meta, "
            "mas a configuração envia 3."
        )
        assert created["status"] == "aprovado"
        reminder = configured["appointment_reminder"]
        assert [p["code"] for p in reminder["problems"]] == ["template_language"]
        assert reminder["status"] is None
        meta = {(m["name"], m["language"]): m for m in data["meta"]}
        promo = meta[("promo_natal", "pt_BR")]
        assert (promo["category"], promo["quality"], promo["configured_as"]) == (
            "MARKETING",
            "YELLOW",
            [],
        )
        assert meta[("aviso_de_agendamento", "pt_BR")]["configured_as"] == ["appointment_created"]
        assert data["sync"]["last"]["outcome"] == "ok" and data["sync"]["error"] is None
        # The JSON is exactly the page's Struct (docs/reference.md §9.2).
        await same_shape(s.client, s.operator + "/templates.json", TemplatesPage)

        html = await s.client.get(s.operator + "/templates")
        assert html.status_code == 200
        assert "tem 4 parâmetros no corpo na Meta" in html.text
        assert "Sincronizar agora" in html.text and 'name="csrf_token"' in html.text

        # The dashboard: a config warning per template, naming it, linked to the page.
        dash = await s.get("/dashboard.json")
        assert dash["status"] == "degraded"
        warnings = [r for r in dash["reasons"] if r["code"] == "template_problem"]
        assert [(r["severity"], r["href"]) for r in warnings] == [("degraded", "/templates")] * 2
        assert warnings[0]["text"].startswith("O modelo aviso_de_agendamento (pt_BR) tem 4")
        assert "confirmacao_de_agendamento_24h não existe em pt_BR" in warnings[1]["text"]
        page = await s.client.get(s.operator + "/dashboard")
        assert "O modelo aviso_de_agendamento" in page.text
        assert '<a href="/templates" class="fix">Ajuste o modelo' in page.text


async def test_the_page_in_english(daemon_dir: Path) -> None:
    extra = '[ui]\nlocale = "en"\n'
    async with template_stack(daemon_dir, MISMATCHED, extra=extra) as s:
        await s.synced()
        data = await s.get("/templates.json")
        created = next(c for c in data["configured"] if c["key"] == "appointment_created")
        assert created["problems"][0]["text"] == (
            "The template aviso_de_agendamento (pt_BR) has 4 body parameters at Meta, but the "
            "configuration sends 5."
        )
        html = await s.client.get(s.operator + "/templates")
        assert "Sync now" in html.text and "Templates at Meta" in html.text


async def test_an_operator_sync_is_audited_and_a_failed_one_keeps_the_last_known(
    daemon_dir: Path,
) -> None:
    specs = {
        "aviso_de_agendamento": TemplateSpec("pt_BR", 5, 3, status="PAUSED"),
        "confirmacao_de_agendamento_24h": TemplateSpec("pt_BR", 5, 3),
    }
    async with template_stack(daemon_dir, specs) as s:
        await s.synced()
        answer = await s.post("/templates/sync")
        assert answer.status_code == 200
        assert answer.json()["sync"]["outcome"] == "ok"
        assert answer.json()["sync"]["trigger"] == "operator"
        (audit,) = query(s.daemon, "SELECT action, target, detail_json FROM audit_log")
        assert (audit["action"], audit["target"]) == ("templates.sync", s.double.waba_id)
        assert json.loads(audit["detail_json"])["outcome"] == "ok"

        # The token changes at Meta: the read fails, with Meta's reason, and what was known
        # before still holds (the paused template's sends are still skipped).
        s.double.token = "another-token"
        failed = (await s.post("/templates/sync")).json()["sync"]
        assert (failed["outcome"], failed["error_code"]) == ("failed", "graph_190")
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "PAUSED"
        data = await s.get("/templates.json")
        assert data["sync"]["error"].startswith("O token de acesso expirou ou é inválido")
        assert data["sync"]["last_ok"]["trigger"] == "operator"
        assert data["sync"]["failures_since_ok"] == 1
        dash = await s.get("/dashboard.json")
        (info,) = [r for r in dash["reasons"] if r["code"] == "template_sync_failed"]
        assert info["severity"] == "info" and info["href"] == "/templates"
        html = (await s.client.get(s.operator + "/templates")).text
        assert "A última leitura falhou; valem as definições lidas antes" in html

        s.double.token = "graph-token-for-tests"
        await book(s.daemon, s.client)
        await notice_reaches(s.daemon, "skipped")
        assert reason_of(s.daemon)["code"] == "template_not_approved"
        audits = query(s.daemon, "SELECT detail_json FROM audit_log ORDER BY id")
        assert [json.loads(a["detail_json"])["outcome"] for a in audits] == ["ok", "failed"]


async def test_without_a_waba_nothing_is_read_and_no_send_is_blocked(daemon_dir: Path) -> None:
    async with template_stack(
        daemon_dir, {"aviso_de_agendamento": TemplateSpec("pt_BR", 5, 3)}, waba=""
    ) as s:
        refused = await s.post("/templates/sync")
        assert refused.status_code == 409
        assert refused.json()["error"] == "not_configured"
        data = await s.get("/templates.json")
        assert data["sync"]["configured"] is False and data["sync"]["last"] is None
        assert all(not c["known"] and not c["problems"] for c in data["configured"])
        await book(s.daemon, s.client)
        await notice_reaches(s.daemon, "sent")
        assert s.listings() == []
        dash = await s.get("/dashboard.json")
        assert not [r for r in dash["reasons"] if r["code"].startswith("template")]


async def test_a_webhook_replayed_late_never_undoes_a_newer_status(daemon_dir: Path) -> None:
    async with template_stack(daemon_dir) as s:
        await s.synced()
        await s.double.set_status("aviso_de_agendamento", "PAUSED")
        await s.double.set_status("aviso_de_agendamento", "APPROVED")
        await s.daemon.commands.webhooks.drain()
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "APPROVED"
        paused_id = query(s.daemon, "SELECT MIN(id) AS id FROM webhook_inbox")[0]["id"]
        result = await s.daemon.commands.webhooks.replay(None, paused_id)
        assert result.bodies == 1 and result.failed == 0
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "APPROVED"
        # All of them again, in their order: the same end.
        await s.daemon.commands.webhooks.replay(None, None)
        assert stored(s.daemon, "aviso_de_agendamento")["status"] == "APPROVED"

        # A sync after a webhook is newer than it: Meta's listing wins, and the old body
        # replayed once more changes nothing.
        s.double.templates["aviso_de_agendamento"].status = "DISABLED"
        await s.post("/templates/sync")
        await s.daemon.commands.webhooks.replay(None, paused_id)
        row = stored(s.daemon, "aviso_de_agendamento")
        assert (row["status"], row["status_source"]) == ("DISABLED", "sync")


async def test_quality_and_category_webhooks_and_a_template_only_a_webhook_told(
    daemon_dir: Path,
) -> None:
    async with template_stack(daemon_dir) as s:
        await s.synced()
        value = {
            "message_template_id": 1,
            "message_template_name": "aviso_de_agendamento",
            "message_template_language": "pt_BR",
        }
        body = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": s.double.waba_id,
                    "time": 1764547200,
                    "changes": [
                        {
                            "field": "message_template_quality_update",
                            "value": value
                            | {"previous_quality_score": "GREEN", "new_quality_score": "RED"},
                        },
                        {
                            "field": "template_category_update",
                            "value": value
                            | {"previous_category": "UTILITY", "new_category": "MARKETING"},
                        },
                        {
                            "field": "message_template_status_update",
                            "value": value
                            | {"event": "FLAGGED", "reason": None, "message_template_id": 1},
                        },
                        {
                            "field": "message_template_status_update",
                            "value": {
                                "event": "REJECTED",
                                "message_template_id": 9,
                                "message_template_name": "novo_modelo",
                                "message_template_language": "pt_BR",
                                "reason": "INVALID_FORMAT",
                            },
                        },
                    ],
                }
            ],
        }
        assert await s.double.post_webhook(body) == 200
        await s.daemon.commands.webhooks.drain()
        row = stored(s.daemon, "aviso_de_agendamento")
        # FLAGGED keeps the template approved (Meta's status stays APPROVED).
        assert (row["quality"], row["category"], row["status"], row["status_event"]) == (
            "RED",
            "MARKETING",
            "APPROVED",
            "FLAGGED",
        )
        new = stored(s.daemon, "novo_modelo")
        assert (new["status"], new["status_reason"], new["parameter_format"]) == (
            "REJECTED",
            "INVALID_FORMAT",
            None,
        )
        # The next sync: novo_modelo is not in Meta's listing, so it goes.
        await s.post("/templates/sync")
        assert query(s.daemon, "SELECT name FROM wa_templates WHERE name = 'novo_modelo'") == []


NAMED_TOML = """
[whatsapp.templates.appointment_created]
name = "aviso_nomeado"
language = "pt_BR"
parameter_format = "named"
body_params = ["client_name", "service", "date"]
param_names = ["nome", "servico", "data"]
buttons = ["CONFIRM"]
"""


async def test_a_named_template_is_sent_with_its_parameter_names(daemon_dir: Path) -> None:
    specs = {"aviso_nomeado": TemplateSpec("pt_BR", 0, 1, param_names=("nome", "servico", "data"))}
    async with template_stack(daemon_dir, specs, extra=NAMED_TOML) as s:
        await s.synced()
        data = await s.get("/templates.json")
        created = next(c for c in data["configured"] if c["key"] == "appointment_created")
        assert created["problems"] == [] and created["known"]
        await book(s.daemon, s.client)
        await notice_reaches(s.daemon, "sent")
        (sent,) = s.double.sends()
        parameters = sent.body["template"]["components"][0]["parameters"]
        assert [(p["parameter_name"], p["text"]) for p in parameters] == [
            ("nome", "Ana Souza"),
            ("servico", "Corte"),
            ("data", parameters[2]["text"]),
        ]
        # Meta renames a parameter: the next send is skipped, naming both names.
        s.double.templates["aviso_nomeado"].param_names = ("nome", "servico", "dia")
        await s.post("/templates/sync")
        await book(s.daemon, s.client, apt="apt-2")
        await settle(
            s.daemon,
            "SELECT state FROM messages WHERE appointment_id = 'apt-2' "
            "AND kind = 'appointment_created'",
            [{"state": "skipped"}],
        )
        (row,) = query(
            s.daemon,
            "SELECT reason_json FROM messages WHERE appointment_id = 'apt-2' "
            "AND kind = 'appointment_created'",
        )
        assert reason_in(row["reason_json"], "pt-BR") == (
            "O modelo aviso_nomeado (pt_BR) espera {{dia}}, que a configuração não envia; e "
            "não tem {{data}}, que a configuração envia."
        )
        assert len(s.double.sends()) == 1


async def test_recado_templates_sync_and_list(daemon_dir: Path) -> None:
    async with template_stack(daemon_dir, MISMATCHED) as s:
        await s.synced()
        config = str(daemon_dir / "config.toml")

        def run(*argv: str) -> tuple[int, str]:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = cli_main([*argv, "--config", config])
            return code, out.getvalue()

        code, out = await trio.to_thread.run_sync(run, "templates", "sync")
        assert code == 0 and out.startswith(f"3 templates read from WABA {s.double.waba_id}")
        code, out = await trio.to_thread.run_sync(run, "templates", "list")
        # A configured template that cannot be sent as configured: exit 1, and why.
        assert code == 1
        assert "tem 4 parâmetros no corpo na Meta, mas a configuração envia 5" in out
        assert "3 templates at Meta" in out
        code, out = await trio.to_thread.run_sync(run, "templates", "list", "--json")
        assert json.loads(out)["sync"]["last"]["trigger"] == "operator"
        (audit,) = query(s.daemon, "SELECT action FROM audit_log")
        assert audit["action"] == "templates.sync"
