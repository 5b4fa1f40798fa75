"""The body of a flow action written ``{action = "http:<service>:POST:/path", body = "chat"}``:
a Slack-compatible ``{"text": "..."}`` in pt-BR with a link to the operator page, instead of
the raw event envelope (pure).

Slack's, Mattermost's, Rocket.Chat's and Discord's (``/slack``) incoming webhooks take this
shape; Google Chat takes it too. Internal events (alerts, incidents) read as sentences; a
studio event says its type and id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

BODY_SHAPES = ("envelope", "chat")
MAX_TEXT = 3000  # Slack truncates long messages; a chat line is meant to be read at a glance

_SEVERITY = {"critical": "🔴 crítico", "warning": "🟠 atenção", "info": "🔵 informação"}
_INCIDENT = {
    "incident.opened": "🚨 Incidente aberto",
    "incident.escalated": "📣 Incidente sev1: acionar o responsável agora",
    "incident.updated": "📝 Incidente atualizado",
    "incident.update_due": "⏰ Atualização do incidente atrasada",
    "incident.resolved": "✅ Incidente resolvido",
}
_STATE = {"open": "aberto", "mitigated": "mitigado", "resolved": "resolvido"}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _local(value: Any, tz: ZoneInfo) -> str:
    try:
        dt = datetime.fromisoformat(_text(value).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if dt.tzinfo is None:
        return ""
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def _link(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}" if base_url else path


def chat_text(
    event_type: str, event_id: str, data: dict[str, Any], base_url: str, tz: ZoneInfo
) -> str:
    if event_type in ("alert.opened", "alert.resolved"):
        what = "Alerta resolvido" if event_type == "alert.resolved" else "Alerta"
        severity = _SEVERITY.get(_text(data.get("severity")), _text(data.get("severity")))
        at = _local(data.get("resolved_at" if event_type == "alert.resolved" else "at"), tz)
        text = f"{what} ({severity}) em {at}: {_text(data.get('text'))}"
        return _cap(f"{text}\n{_link(base_url, '/alerts')}")
    if event_type in _INCIDENT:
        number = data.get("incident_id")
        head = (
            f"{_INCIDENT[event_type]} #{number} ({_text(data.get('severity'))}, "
            f"{_text(data.get('priority'))}): {_text(data.get('title'))}"
        )
        lines = [head, f"Estado: {_STATE.get(_text(data.get('state')), '')}"]
        if started := _local(data.get("started_at"), tz):
            lines.append(f"Início: {started}")
        if note := _text(data.get("note")):
            lines.append(f"Nota: {note}")
        if due := _local(data.get("next_update_due"), tz):
            # A reminder's due time has passed already: it says since when.
            label = "Atualização devida desde" if event_type == "incident.update_due" else None
            lines.append(f"{label or 'Próxima atualização'}: {due}")
        lines.append(_link(base_url, f"/incidents/{number}"))
        return _cap("\n".join(lines))
    return _cap(f"Evento {event_type} ({event_id})\n{_link(base_url, f'/events/{event_id}')}")


def chat_body(
    event_type: str, event_id: str, data: dict[str, Any], base_url: str, tz: ZoneInfo
) -> dict[str, str]:
    return {"text": chat_text(event_type, event_id, data, base_url, tz)}


def _cap(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
