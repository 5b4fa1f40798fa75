"""Why a send ended uncertain or a job failed inside the sender, in pt-BR and English.

An uncertain send names what cut it: a request the Graph API did not answer within the
client's timeout is a timeout, whatever the daemon was doing; "the daemon stopped" is only
said when the daemon was actually stopping.
"""

from __future__ import annotations

from typing import Any

_AFTER_PT = (
    " A mensagem pode ter saído: ela aguarda um status do WhatsApp e nunca é reenviada "
    "automaticamente."
)
_AFTER_EN = (
    " The message may have gone out: it waits for a status from WhatsApp and is never "
    "resent automatically."
)


def uncertain_reason(kind: str, detail: str, timeout_s: float) -> dict[str, Any]:
    """``kind`` is a ``graph_client.Unknown`` kind, or ``stopped`` (the daemon stopping)."""
    texts = {
        "read_timeout": (
            f"O pedido ao WhatsApp excedeu o tempo limite: nenhuma resposta em {timeout_s:g} s.",
            f"The request to WhatsApp timed out: no answer within {timeout_s:g} s.",
        ),
        "write_error": (
            "A conexão com o WhatsApp caiu enquanto o pedido era enviado.",
            "The connection to WhatsApp broke while the request was being written.",
        ),
        "dropped": (
            "A conexão com o WhatsApp caiu antes da resposta.",
            "The connection to WhatsApp dropped before the answer.",
        ),
        "bad_answer": (
            "O WhatsApp respondeu sem o identificador da mensagem.",
            "WhatsApp answered without a message id.",
        ),
        "stopped": (
            "O daemon foi parado durante o envio.",
            "The daemon stopped during the send.",
        ),
    }
    pt, en = texts.get(kind, (f"Resultado desconhecido ({kind}).", f"Unknown outcome ({kind})."))
    return {"pt-BR": pt + _AFTER_PT, "en": en + _AFTER_EN, "transport": kind, "detail": detail}


def internal_error_reason(error: str, claimed: bool) -> dict[str, Any]:
    """Processing the job raised ``error`` (``Type: message``). ``claimed``: the job was
    already marked sending, so the request may have left."""
    if claimed:
        return {
            "pt-BR": f"Erro interno durante o envio ({error})." + _AFTER_PT,
            "en": f"Internal error during the send ({error})." + _AFTER_EN,
            "error": error,
        }
    return {
        "pt-BR": f"Erro interno ao preparar a mensagem ({error}); nada foi enviado. Corrija o "
        "dado ou a configuração e use “Tentar de novo”.",
        "en": f"Internal error while preparing the message ({error}); nothing was sent. Fix "
        "the data or the configuration, then use “Retry”.",
        "error": error,
    }
