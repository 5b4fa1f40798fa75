"""The words of the error pages (``recado.http.error_pages``) and of the public voucher's
"not found" page, in pt-BR (default) and English: what happened, in a sentence."""

from __future__ import annotations

# Per status code; "other" for any code without words of its own.
ERROR_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    "pt-BR": {
        "400": (
            "Pedido inválido",
            "O pedido chegou incompleto ou num formato que o recado não entende.",
        ),
        "401": (
            "Acesso negado",
            "Esta ação pede a chave da API ou um formulário aberto por esta página.",
        ),
        "404": (
            "Página não encontrada",
            "Não existe página nem registro neste endereço. Confira o link.",
        ),
        "405": (
            "Ação não permitida aqui",
            "Este endereço existe, mas não aceita este tipo de pedido.",
        ),
        "409": ("Não foi possível", "O registro não está num estado que permita esta ação."),
        "413": (
            "Pedido grande demais",
            "O conteúdo enviado passa do tamanho que este endereço aceita.",
        ),
        "422": (
            "Valor inválido",
            "Um dos valores do endereço ou do formulário não é aceito.",
        ),
        "500": (
            "Erro interno",
            "O recado falhou ao atender este pedido; o motivo está no log do daemon.",
        ),
        "503": (
            "Indisponível no momento",
            "O recado não consegue atender agora; tente de novo em instantes.",
        ),
        "other": ("Não foi possível", "O pedido foi recusado."),
        "back": ("Voltar ao painel", ""),
    },
    "en": {
        "400": (
            "Bad request",
            "The request arrived incomplete or in a form recado does not understand.",
        ),
        "401": (
            "Not allowed",
            "This action needs the API key or a form opened from this site's pages.",
        ),
        "404": ("Page not found", "There is no page or record at this address. Check the link."),
        "405": ("Not allowed here", "This address exists but does not take this kind of request."),
        "409": ("Could not do that", "The record is not in a state that allows this action."),
        "413": ("Request too large", "What was sent is larger than this address accepts."),
        "422": ("Invalid value", "One of the values in the address or the form is not accepted."),
        "500": (
            "Internal error",
            "recado failed to handle this request; the reason is in the daemon's log.",
        ),
        "503": ("Unavailable right now", "recado cannot answer right now; try again in a moment."),
        "other": ("Could not do that", "The request was refused."),
        "back": ("Back to the dashboard", ""),
    },
}

# A voucher link that does not check out: for the studio's client, not the staff.
VOUCHER_MISSING: dict[str, tuple[str, str]] = {
    "pt-BR": (
        "Comprovante não encontrado",
        "Este link de comprovante não é válido ou o agendamento não existe. "
        "Confira o link recebido pelo WhatsApp ou fale com o estúdio.",
    ),
    "en": (
        "Voucher not found",
        "This voucher link is not valid or the appointment does not exist. "
        "Check the link you received on WhatsApp or contact the studio.",
    ),
}
