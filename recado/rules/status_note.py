"""The public note of an incident update, prefilled from the SOP's status-page template
(pure). The operator edits it before posting; what is posted is what ``/status`` shows.

    Título: …
    Início: dd/mm/aaaa HH:MM
    Descrição: …
    Impacto: …
    Próxima atualização: dd/mm/aaaa HH:MM   (the update being posted + 30 min)

Always in pt-BR: the status page is for the studio's clients. It names no internal detail
(no cause code, no error, no client): the description is the operator's, the impact a plain
sentence per cause.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

MAX_NOTE_CHARS = 4000

# What a client notices, per cause (manual incidents say it generally).
IMPACT = {
    "auth_broken": (
        "As mensagens automáticas de WhatsApp (avisos, lembretes e confirmações) estão suspensas."
    ),
    "graph_unstable": (
        "As mensagens automáticas de WhatsApp podem atrasar ou não chegar; a instabilidade "
        "é do serviço da Meta."
    ),
    "webhook_silence": (
        "Respostas e confirmações enviadas pelo WhatsApp podem demorar a ser registradas."
    ),
    "send_failures": "Parte das mensagens automáticas de WhatsApp não está sendo entregue.",
    "storage_fault": (
        "Agendamentos e mensagens automáticas podem atrasar enquanto o sistema se recupera."
    ),
    "actor_crash_loop": "Mensagens automáticas e integrações podem atrasar.",
    "manual": "O atendimento pelo WhatsApp pode estar mais lento que o normal.",
}


def _local(dt: datetime, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def impact_of(cause: str) -> str:
    return IMPACT.get(cause, IMPACT["manual"])


def prefill(
    *,
    title: str,
    started_at: datetime,
    description: str,
    cause: str,
    next_update_at: datetime,
    tz: ZoneInfo,
) -> str:
    lines = [
        f"Título: {title.strip()}",
        f"Início: {_local(started_at, tz)}",
        f"Descrição: {description.strip() or 'Estamos investigando.'}",
        f"Impacto: {impact_of(cause)}",
        f"Próxima atualização: {_local(next_update_at, tz)}",
    ]
    return "\n".join(lines)
