"""What a tap on a template button does (docs/reference.md §6.6).

Payloads are ``<BUTTON>:<appointment_id>``. CONFIRM marks the appointment confirmed and
answers with the voucher link; RESCHEDULE answers with the booking link and emits
``appointment.reschedule_requested``; TALK answers that the team will reply, emits
``handoff.requested`` and raises an alert. One inbound message causes at most one reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from recado.rules.kinds import HANDOFF_REQUESTED_EVENT, RESCHEDULE_REQUESTED_EVENT

BUTTONS = ("CONFIRM", "RESCHEDULE", "TALK")


@dataclass(frozen=True)
class ButtonAction:
    button: str
    reply: str
    event_type: str | None
    confirm: bool
    alert: bool


def parse_payload(payload: str | None) -> tuple[str, str] | None:
    if not payload:
        return None
    button, sep, appointment_id = payload.partition(":")
    if not sep or button not in BUTTONS or not appointment_id:
        return None
    return button, appointment_id


def button_action(
    button: str,
    client_name: str,
    service: str,
    starts_at: datetime,
    tz: ZoneInfo,
    studio_name: str,
    booking_url: str,
    voucher_link: str,
) -> ButtonAction:
    local = starts_at.astimezone(tz)
    when = f"{local:%d/%m/%Y} às {local:%H:%M}"
    first = client_name.split()[0] if client_name.strip() else client_name
    if button == "CONFIRM":
        return ButtonAction(
            button,
            f"Obrigado, {first}! Seu horário de {service} em {when} está confirmado. "
            f"Seu comprovante: {voucher_link}",
            None,
            confirm=True,
            alert=False,
        )
    if button == "RESCHEDULE":
        link = (
            f" Escolha um novo horário aqui: {booking_url}"
            if booking_url
            else (" Nossa equipe vai te ajudar a escolher um novo horário.")
        )
        return ButtonAction(
            button,
            f"Sem problemas, {first}!{link}",
            RESCHEDULE_REQUESTED_EVENT,
            confirm=False,
            alert=not booking_url,
        )
    return ButtonAction(
        button,
        f"Certo, {first}! Alguém da equipe do {studio_name} vai te responder por aqui em breve.",
        HANDOFF_REQUESTED_EVENT,
        confirm=False,
        alert=True,
    )
