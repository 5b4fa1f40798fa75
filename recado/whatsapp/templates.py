"""Building the Graph request bodies for a job (docs/whatsapp-notes.md §4).

Template variables come from the appointment, with dates and times in the studio's time
zone in the pt-BR format (``24/11/2026``, ``14:30``). Quick-reply buttons carry
``<BUTTON>:<appointment_id>`` so a tap can be matched even without ``context.id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TEXT_LIMIT = 4096


@dataclass(frozen=True)
class AppointmentView:
    appointment_id: str
    client_name: str
    service: str
    starts_at: datetime
    location: str


def hub_view(values: dict[str, str], location_line: str) -> AppointmentView:
    """The template values of a flow action's message (rules/hub_message.py)."""
    return AppointmentView(
        values.get("appointment_id", ""),
        values.get("client_name", ""),
        values.get("service", ""),
        datetime.fromisoformat(values["starts_at"].replace("Z", "+00:00")),
        values.get("location") or location_line,
    )


def template_params(
    appointment: AppointmentView, body_params: list[str], tz: ZoneInfo, studio_name: str
) -> list[str]:
    local = appointment.starts_at.astimezone(tz)
    values = {
        "client_name": appointment.client_name,
        "service": appointment.service,
        "date": local.strftime("%d/%m/%Y"),
        "time": local.strftime("%H:%M"),
        "location": appointment.location or studio_name,
        "studio_name": studio_name,
    }
    # Meta refuses an empty parameter; a dash keeps the sentence readable.
    return [values[name] or "-" for name in body_params]


def template_body(
    to: str,
    name: str,
    language: str,
    params: list[str],
    buttons: list[str],
    appointment_id: str,
    callback_data: str,
    param_names: list[str] | None = None,
) -> dict[str, Any]:
    """A template send; with ``param_names`` (a NAMED template, docs/whatsapp-notes.md §4)
    each value goes with its ``parameter_name``."""
    if param_names is None:
        parameters = [{"type": "text", "text": p} for p in params]
    else:
        parameters = [
            {"type": "text", "parameter_name": n, "text": p}
            for n, p in zip(param_names, params, strict=True)
        ]
    components: list[dict[str, Any]] = [{"type": "body", "parameters": parameters}]
    for index, button in enumerate(buttons):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": f"{button}:{appointment_id}"}],
            }
        )
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {"name": name, "language": {"code": language}, "components": components},
        "biz_opaque_callback_data": callback_data,
    }


def text_body(to: str, text: str, callback_data: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": text[:TEXT_LIMIT], "preview_url": True},
        "biz_opaque_callback_data": callback_data,
    }


def cancellation_text(
    appointment: AppointmentView, tz: ZoneInfo, studio_name: str, reason: str | None
) -> str:
    local = appointment.starts_at.astimezone(tz)
    text = (
        f"Olá, {appointment.client_name}! Seu horário de {appointment.service} em "
        f"{local:%d/%m/%Y} às {local:%H:%M} no {studio_name} foi cancelado."
    )
    if reason:
        text += f" Motivo: {reason}."
    return text + " Se quiser remarcar, é só responder esta mensagem."
