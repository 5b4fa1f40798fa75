"""Operator-facing words in pt-BR (default) and English, and times in the studio's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from quart import Quart

from recado.clock import parse_iso
from recado.daemon.context import Daemon

TEXT: dict[str, dict[str, str]] = {
    "pt-BR": {
        "dashboard": "Painel",
        "audit": "Auditoria",
        "status.healthy": "Saudável",
        "status.degraded": "Degradado",
        "status.critical": "Crítico",
        "actors": "Processos internos",
        "actor": "Processo",
        "state": "Estado",
        "restarts": "Reinícios",
        "last_error": "Último erro",
        "whatsapp": "WhatsApp",
        "mode": "Modo",
        "kill_switch": "Interruptor de emergência",
        "connected": "Conectado",
        "yes": "sim",
        "no": "não",
        "reasons": "Motivos",
        "none": "nenhum",
        "when": "Quando",
        "action": "Ação",
        "target": "Alvo",
        "source_ip": "IP de origem",
        "storage": "Armazenamento",
        "schema_version": "Versão do esquema",
        "started_at": "Iniciado em",
        "state.running": "em execução",
        "state.backoff": "aguardando reinício",
        "state.crash_loop": "reiniciando em loop",
        "state.starting": "iniciando",
        "state.stopped": "parado",
        "mode.dry_run": "simulação (nada é enviado)",
        "mode.enabled": "ativo (envios reais)",
        "mode.disabled": "desativado",
        "signature": "Assinatura",
        "processed": "Processado em",
        "not_checked": "não verificada",
        "older": "Mais antigos",
        "window.open": "Janela de 24 h aberta",
        "window.closed": "Janela de 24 h fechada",
        "window.no_inbound": "O cliente nunca escreveu",
        "window.expires": "até",
        "window.expired": "desde",
        "direction": "Sentido",
        "direction.inbound": "do cliente",
        "direction.outbound_by_app": "enviada pelo app do estúdio",
        "text": "Texto",
        "webhooks": "Webhooks",
        "type": "Tipo",
        "field": "Campo",
        "wh.received_today": "Recebidos hoje",
        "wh.pending": "Aguardando processamento",
        "wh.failed": "Com falha",
        "wh.rejected_today": "Rejeitados hoje (formato inválido)",
        "wh.signature_failures": "Assinaturas inválidas desde o início",
    },
    "en": {
        "dashboard": "Dashboard",
        "audit": "Audit log",
        "status.healthy": "Healthy",
        "status.degraded": "Degraded",
        "status.critical": "Critical",
        "actors": "Actors",
        "actor": "Actor",
        "state": "State",
        "restarts": "Restarts",
        "last_error": "Last error",
        "whatsapp": "WhatsApp",
        "mode": "Mode",
        "kill_switch": "Kill switch",
        "connected": "Connected",
        "yes": "yes",
        "no": "no",
        "reasons": "Reasons",
        "none": "none",
        "when": "When",
        "action": "Action",
        "target": "Target",
        "source_ip": "Source IP",
        "storage": "Storage",
        "schema_version": "Schema version",
        "started_at": "Started at",
        "state.running": "running",
        "state.backoff": "waiting to restart",
        "state.crash_loop": "restarting in a loop",
        "state.starting": "starting",
        "state.stopped": "stopped",
        "mode.dry_run": "dry run (nothing is sent)",
        "mode.enabled": "enabled (real sends)",
        "mode.disabled": "disabled",
        "signature": "Signature",
        "processed": "Processed at",
        "not_checked": "not checked",
        "older": "Older",
        "window.open": "24 h window open",
        "window.closed": "24 h window closed",
        "window.no_inbound": "The client never wrote",
        "window.expires": "until",
        "window.expired": "since",
        "direction": "Direction",
        "direction.inbound": "from the client",
        "direction.outbound_by_app": "sent from the studio's app",
        "text": "Text",
        "webhooks": "Webhooks",
        "type": "Type",
        "field": "Field",
        "wh.received_today": "Received today",
        "wh.pending": "Waiting to be processed",
        "wh.failed": "Failed",
        "wh.rejected_today": "Rejected today (bad format)",
        "wh.signature_failures": "Bad signatures since start",
    },
}


def translate(locale: str, key: str) -> str:
    table = TEXT.get(locale, TEXT["pt-BR"])
    return table.get(key) or TEXT["en"].get(key) or key


def format_local(value: datetime | str | int | None, tz: ZoneInfo) -> str:
    """``dd/mm/aaaa HH:MM`` in the studio's zone, the one format pages use. Integers are
    Meta's unix-second timestamps."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        dt = datetime.fromtimestamp(value, UTC)
    else:
        dt = parse_iso(value) if isinstance(value, str) else value
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def install_i18n(app: Quart, daemon: Daemon) -> None:
    @app.context_processor
    async def inject() -> dict[str, Any]:
        locale = daemon.config.ui.locale
        tz = ZoneInfo(daemon.config.daemon.timezone)
        return {
            "t": lambda key: translate(locale, key),
            "local_time": lambda value: format_local(value, tz),
            "locale": locale,
            "studio_name": daemon.config.studio.name,
        }
