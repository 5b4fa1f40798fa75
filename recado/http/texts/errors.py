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

# The detail of an error page in pt-BR, per error code, when the refusal gave no words of
# its own (the JSON's "detail" is English, for scripts). Every code an operator-listener
# answer can carry has an entry (tests/test_error_pages.py checks the source for new ones).
DETAIL_PT: dict[str, str] = {
    "flow_not_normal": "o fluxo ainda não está normal há tempo bastante para resolver o incidente.",
    "no_alternative_channel": "falta o contato alternativo (incidents.contingency_contact).",
    "resolved": "o incidente já está resolvido.",
    "window_closed": "a janela de 24 horas do cliente está fechada: só um modelo aprovado "
    "chega a ele agora.",
    "already_resolved": "este item já foi entregue.",
    "already_running": "esta sincronização já está rodando.",
    "backup_failed": "não foi possível gravar a cópia de segurança no destino escolhido.",
    "bad_request": "o pedido não pôde ser lido.",
    "bad_signature": "a assinatura do webhook não confere.",
    "conflict": "já existe um registro com este identificador e outro conteúdo.",
    "cross_site": "a ação não veio de uma página deste site.",
    "embedded_signup_disabled": "a conexão pelo painel está desligada na configuração.",
    "exists": "já existe um arquivo neste destino; a cópia nunca sobrescreve um arquivo.",
    "forbidden": "o pedido não tem permissão.",
    "internal_error": "o recado falhou ao atender este pedido; veja o log do daemon.",
    "invalid_field": "um dos valores não é aceito.",
    "invalid_json": "o conteúdo enviado não é um objeto JSON.",
    "keys_unreadable": "as chaves de criptografia não puderam ser lidas; veja o log do daemon.",
    "method_not_allowed": "este endereço não aceita este tipo de pedido.",
    "not_allowed": "esta ação não é permitida para este registro agora.",
    "not_configured": "falta configuração para esta ação.",
    "not_connected": "não há número do WhatsApp conectado.",
    "not_found": "não existe registro com este identificador.",
    "not_in_dlq": "só itens da fila de falhas permitem esta ação.",
    "request_entity_too_large": "o conteúdo enviado passa do tamanho aceito.",
    "request_timeout": "o pedido demorou demais para chegar.",
    "session_expired": "a sessão desta página expirou; recarregue a página e conecte de novo.",
    "signup_failed": "a Meta recusou uma etapa da conexão; veja o histórico da conexão.",
    "signup_timeout": "a conexão demorou demais para terminar; veja o estado na página.",
    "state_expired": "a tentativa de conexão expirou (dura 10 minutos); comece de novo.",
    "state_missing": "esta tentativa de conexão não é conhecida; comece de novo.",
    "state_other_session": "a tentativa foi aberta em outra sessão; comece de novo aqui.",
    "state_reused": "esta tentativa de conexão já foi usada; comece de novo.",
    "storage_unavailable": "o banco de dados não aceita gravações agora; tente de novo.",
    "too_deep": "o conteúdo enviado tem aninhamento profundo demais.",
    "too_many_connections": "há conexões demais abertas; tente de novo em instantes.",
    "unauthorized": "esta ação pede a chave da API ou um formulário desta página.",
    "unavailable": "o serviço não está disponível agora; tente de novo em instantes.",
    "unknown_field": "o conteúdo enviado tem um campo que esta ação não conhece.",
    "wrong_host": "este endereço não é um dos nomes do painel.",
}
