"""Why a message ended as it did: a reason code with its parameters, stored with the message
(``reason_json``), and the sentence it reads as in each locale — the one place those
sentences live; the pages, their JSON and the CLI all read them through ``reason_text``.

Reasons from a Graph answer (``graph_<code>``, ``http_<status>``, ``transport_<kind>``) read
as Meta's catalogue in ``rules/graph_errors.py`` says, from the answer's parameters. A reason
stored by an older recado, with its sentences in it, still reads as stored.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from recado.rules import graph_errors, template_check
from recado.rules.graph_results import Rejected
from recado.rules.instants import iso
from recado.rules.locale import pick

Reason = dict[str, Any]

_AFTER_PT = (
    " A mensagem pode ter saído: ela aguarda um status do WhatsApp e nunca é reenviada "
    "automaticamente."
)
_AFTER_EN = (
    " The message may have gone out: it waits for a status from WhatsApp and is never "
    "resent automatically."
)

# Reason code → (pt-BR, en); ``{name}`` is a parameter of the reason.
TEXTS: dict[str, tuple[str, str]] = {
    "appointment_passed": (
        "O horário já passou quando a mensagem seria enviada.",
        "The appointment had already started when the message was due.",
    ),
    "appointment_canceled": (
        "O agendamento foi cancelado; a mensagem não foi enviada.",
        "The appointment was canceled; the message was not sent.",
    ),
    "appointment_changed": (
        "O agendamento mudou de horário; a mensagem do horário antigo não foi enviada.",
        "The appointment moved to another time; the old time's message was not sent.",
    ),
    "no_inbound": (
        "O cliente nunca escreveu para o estúdio; mensagens livres só podem ser "
        "enviadas dentro da janela de 24 h.",
        "The client never wrote to the studio; free-form messages can only go "
        "out inside the 24 h window.",
    ),
    "mode_disabled": (
        "Envio de WhatsApp desativado (modo disabled).",
        "WhatsApp sending is disabled (mode disabled).",
    ),
    "not_allowlisted": (
        "O número não está na lista de permitidos (allowlist).",
        "The number is not on the allowlist.",
    ),
    "window_closed": (
        "Janela de 24 h fechada: a última mensagem do cliente foi em {last_inbound_local} "
        "e a janela expirou em {expires_local}.",
        "24 h window closed: the client last wrote at {last_inbound_local} and the window "
        "expired at {expires_local}.",
    ),
    "template_not_configured": (
        'O modelo "{template}" não está mais na configuração.',
        'The template "{template}" is no longer in the configuration.',
    ),
    "not_configured": (
        "WhatsApp não está configurado (token ou número).",
        "WhatsApp is not configured (token or phone number).",
    ),
    "internal_error": (
        "Erro interno ao preparar a mensagem ({error}); nada foi enviado. Corrija o dado ou "
        "a configuração e use “Tentar de novo”.",
        "Internal error while preparing the message ({error}); nothing was sent. Fix the "
        "data or the configuration, then use “Retry”.",
    ),
    "uncertain_internal_error": (
        "Erro interno durante o envio ({error})." + _AFTER_PT,
        "Internal error during the send ({error})." + _AFTER_EN,
    ),
    "uncertain_read_timeout": (
        "O pedido ao WhatsApp excedeu o tempo limite: nenhuma resposta em {timeout} s." + _AFTER_PT,
        "The request to WhatsApp timed out: no answer within {timeout} s." + _AFTER_EN,
    ),
    "uncertain_write_error": (
        "A conexão com o WhatsApp caiu enquanto o pedido era enviado." + _AFTER_PT,
        "The connection to WhatsApp broke while the request was being written." + _AFTER_EN,
    ),
    "uncertain_dropped": (
        "A conexão com o WhatsApp caiu antes da resposta." + _AFTER_PT,
        "The connection to WhatsApp dropped before the answer." + _AFTER_EN,
    ),
    "uncertain_bad_answer": (
        "O WhatsApp respondeu sem o identificador da mensagem." + _AFTER_PT,
        "WhatsApp answered without a message id." + _AFTER_EN,
    ),
    "uncertain_stopped": (
        "O daemon foi parado durante o envio." + _AFTER_PT,
        "The daemon stopped during the send." + _AFTER_EN,
    ),
    "uncertain_other": (
        "Resultado desconhecido ({transport})." + _AFTER_PT,
        "Unknown outcome ({transport})." + _AFTER_EN,
    ),
    "discarded": ("Descartada pelo operador.", "Discarded by the operator."),
}


def reason(code: str, **params: Any) -> Reason:
    """A reason as stored: its code and its parameters (plain JSON values)."""
    return {"code": code, **params}


def graph_reason(c: graph_errors.Classification, answer: Rejected | None) -> Reason:
    """The reason of a Graph classification, with what reproduces its sentence."""
    if answer is None:
        return reason(c.reason_code)
    return reason(
        c.reason_code,
        error_code=answer.code,
        http_status=answer.http_status,
        subcode=answer.subcode,
        is_transient=answer.is_transient,
        details=answer.details,
    )


def uncertain_reason(kind: str, detail: str, timeout_s: float) -> Reason:
    """``kind`` is a ``graph_results.Unknown`` kind, or ``stopped`` (the daemon stopping)."""
    code = f"uncertain_{kind}" if f"uncertain_{kind}" in TEXTS else "uncertain_other"
    return reason(code, transport=kind, detail=detail, timeout_s=timeout_s)


def internal_error_reason(error: str, claimed: bool) -> Reason:
    """Processing the job raised ``error`` (``Type: message``). ``claimed``: the job was
    already marked sending, so the request may have left."""
    return reason("uncertain_internal_error" if claimed else "internal_error", error=error)


def window_reason(last_inbound_at: datetime | None, expires_at: datetime | None) -> Reason:
    return reason(
        "window_closed",
        last_inbound_at=iso(last_inbound_at) if last_inbound_at else None,
        expires_at=iso(expires_at) if expires_at else None,
    )


def reason_text(stored: Reason | None, locale: str, tz: tzinfo) -> str | None:
    """The sentence of a stored reason in ``locale`` (times in the studio's zone ``tz``)."""
    if not stored:
        return None
    if "pt-BR" in stored or "en" in stored:
        # Stored by an older recado with its sentences: read as they were written.
        text = pick(locale, stored.get("pt-BR"), stored.get("en"))
        return text if isinstance(text, str) else None
    code = str(stored.get("code") or "")
    return pick(locale, *_texts(code, stored, tz))


def _texts(code: str, stored: Reason, tz: tzinfo) -> tuple[str, str]:
    if code.startswith(("graph_", "http_")):
        c = graph_errors.classify(
            _int(stored.get("http_status")),
            _int(stored.get("error_code")),
            _int(stored.get("subcode")),
            stored.get("is_transient") if isinstance(stored.get("is_transient"), bool) else None,
        )
        return c.pt_br, c.en
    if code.startswith("transport_"):
        kind = code.removeprefix("transport_")
        if kind in graph_errors.TRANSPORT_BEFORE_WRITE:
            c = graph_errors.classify_transport(kind)
            return c.pt_br, c.en
    if code in template_check.CODES:
        return template_check.sentence(code, stored)
    if code not in TEXTS:
        return code, code
    values = {k: "" if v is None else str(v) for k, v in stored.items()}
    values["last_inbound_local"] = _local(stored.get("last_inbound_at"), tz)
    values["expires_local"] = _local(stored.get("expires_at"), tz)
    timeout = stored.get("timeout_s")
    values["timeout"] = f"{timeout:g}" if isinstance(timeout, int | float) else "?"
    pt, en = TEXTS[code]
    return pt.format_map(_Blank(values)), en.format_map(_Blank(values))


class _Blank(dict[str, str]):
    """A parameter the stored reason lacks reads as empty, never as an error on a page."""

    def __missing__(self, key: str) -> str:
        return ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _local(value: Any, tz: tzinfo) -> str:
    if not isinstance(value, str):
        return "—"
    try:
        return datetime.fromisoformat(value).astimezone(tz).strftime("%d/%m/%Y %H:%M")
    except (ValueError, OverflowError):
        return "—"
