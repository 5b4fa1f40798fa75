"""The templates page in real Chromium: from the dashboard's warning to the template that
Meta paused, and the "Sincronizar agora" button with the page's token."""

from __future__ import annotations

import re
from pathlib import Path

import trio
from playwright.sync_api import expect, sync_playwright

from recado.testing.chromium import CHROMIUM, FLAGS
from recado.testing.graph_templates import TemplateSpec
from tests.template_helpers import template_stack
from tests.webhook_helpers import query


def _browse(operator: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(locale="pt-BR")
            page.goto(f"{operator}/dashboard")
            expect(page.locator("#status")).to_have_text("Degradado")
            warning = page.locator("#reasons li", has_text="aviso_de_agendamento")
            expect(warning).to_contain_text(
                "O modelo aviso_de_agendamento (pt_BR) está pausado na Meta; só modelos "
                "aprovados podem ser enviados. Os envios dele são ignorados até isso mudar."
            )
            # The link says what to do, and leads to the configured templates.
            fix = warning.locator("a.fix")
            expect(fix).to_have_text("Ajuste o modelo na configuração ou na Meta")
            fix.click()
            expect(page).to_have_url(re.compile(r"/templates$"))
            row = page.locator("#configured-appointment_created")
            expect(row).to_contain_text("pausado")
            expect(row.locator("li[data-code=template_not_approved]")).to_be_visible()
            expect(page.locator("#configured-appointment_reminder")).to_contain_text(
                "confere com a Meta"
            )
            meta = page.locator("#meta-aviso_de_agendamento-pt_BR")
            expect(meta).to_contain_text("webhook")
            expect(meta).to_contain_text("GREEN")
            expect(page.locator("#last-sync")).to_contain_text("ao iniciar")

            page.get_by_role("button", name="Sincronizar agora").click()
            expect(page).to_have_url(re.compile(r"/templates$"))
            expect(page.locator("#last-sync")).to_contain_text("pedida pelo operador")
            expect(page.locator("#last-sync")).to_have_text(
                re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2} \(concluída, pedida pelo operador\)$")
            )
            expect(page.locator("#recent tr")).to_have_count(3)  # header, start, operator
        finally:
            browser.close()


async def test_from_the_dashboard_warning_to_the_paused_template_and_a_sync(
    daemon_dir: Path,
) -> None:
    specs = {
        "aviso_de_agendamento": TemplateSpec("pt_BR", 5, 3),
        "confirmacao_de_agendamento_24h": TemplateSpec("pt_BR", 5, 3),
    }
    async with template_stack(daemon_dir, specs) as s:
        await s.synced()
        await s.double.set_status("aviso_de_agendamento", "PAUSED")
        await s.daemon.commands.webhooks.drain()
        await trio.to_thread.run_sync(_browse, s.operator)
        (audit,) = query(s.daemon, "SELECT action, source_ip FROM audit_log")
        assert audit == {"action": "templates.sync", "source_ip": "127.0.0.1"}
