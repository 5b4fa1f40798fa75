"""What a failed WhatsApp send means, and what to do about it (docs/whatsapp-notes.md §4-5).

The same classifier runs on a send's HTTP answer and on a ``failed`` status webhook's
``errors[].code``. Classification is on the Graph ``code`` first (never on the message
text); the HTTP status only decides when the code is unknown or absent::

    failure
    ├── transport: no HTTP answer
    │   ├── before the request was written (refused, DNS, connect timeout) → transient
    │   └── after it was written (read timeout, dropped)  → not classified here: the
    │       sender marks the job ``uncertain`` (never twice)
    └── Graph answer
        ├── auth          190, 0, 102: token dead → job failed, sending paused, alert
        ├── operator      a human must act (payment, locked account, template paused…)
        │                 → job failed, alert
        ├── window_closed 131047, 470: 24 h window closed → ``skipped``
        ├── permanent     this request will never succeed as is → ``failed``
        └── transient     retry with backoff (some codes with a longer hint)

``error.is_transient`` from Meta, when present, overrides transient/permanent (not auth,
operator or window_closed, which need an action the retry would not take).
"""

from __future__ import annotations

from dataclasses import dataclass

TRANSIENT = "transient"
WINDOW_CLOSED = "window_closed"
PERMANENT = "permanent"
AUTH = "auth"
OPERATOR = "operator"


@dataclass(frozen=True)
class CodeInfo:
    kind: str
    pt_br: str
    en: str
    backoff: str = "normal"  # normal | short | long | day (not within 24 h) | pair (4^X s)
    alert: bool = False
    severity: str = "warning"  # of the alert: warning | critical


_T, _W, _P, _A, _O = TRANSIENT, WINDOW_CLOSED, PERMANENT, AUTH, OPERATOR

# "BSUID recipients are not supported for this message": the sender tries the phone when
# it knows one (rules/send_outcome.py), else the message fails with this code's reason.
BSUID_UNSUPPORTED = 131062
# Refusals that say the stored template definitions are out of date (paused, disabled, not
# approved in this language): the sender has the templates read again at once.
TEMPLATE_STATE_CODES = (132001, 132015, 132016)

CODES: dict[int, CodeInfo] = {
    0: CodeInfo(
        _A,
        "O token de acesso foi revogado ou expirou; reconecte o WhatsApp.",
        "The access token was revoked or expired; reconnect WhatsApp.",
        alert=True,
    ),
    190: CodeInfo(
        _A,
        "O token de acesso expirou ou é inválido; reconecte o WhatsApp.",
        "The access token expired or is invalid; reconnect WhatsApp.",
        alert=True,
    ),
    102: CodeInfo(
        _A,
        "A sessão do token expirou; reconecte o WhatsApp.",
        "The token's session expired; reconnect WhatsApp.",
        alert=True,
    ),
    3: CodeInfo(
        _O,
        "O app não tem a permissão necessária na Meta.",
        "The app lacks a required permission at Meta.",
        alert=True,
    ),
    10: CodeInfo(
        _O,
        "Permissão não concedida ou removida na Meta.",
        "Permission not granted or removed at Meta.",
        alert=True,
    ),
    4: CodeInfo(
        _T,
        "Limite de chamadas do app na Meta atingido; nova tentativa mais tarde.",
        "The app's hourly call limit at Meta was reached; retrying later.",
        backoff="long",
    ),
    80007: CodeInfo(
        _T,
        "Limite de chamadas da conta WhatsApp atingido; nova tentativa mais tarde.",
        "The WhatsApp account's call limit was reached; retrying later.",
        backoff="long",
    ),
    130429: CodeInfo(
        _T,
        "Muitas mensagens por segundo; nova tentativa em instantes.",
        "Too many messages per second; retrying shortly.",
        backoff="short",
    ),
    131048: CodeInfo(
        _T,
        "A Meta limitou envios por mensagens marcadas como spam; nova "
        "tentativa bem mais tarde. Verifique a qualidade do número.",
        "Meta limited sends after messages were flagged; retrying much later. "
        "Check the number's quality.",
        backoff="long",
        alert=True,
    ),
    131056: CodeInfo(
        _T,
        "Muitas mensagens para o mesmo cliente em pouco tempo; nova tentativa em alguns segundos.",
        "Too many messages to the same client in a short time; retrying in a few seconds.",
        backoff="pair",
    ),
    131064: CodeInfo(
        _O,
        "Limite de mensagens da conta atingido após violações de categoria de modelo.",
        "The account's messaging limit was hit after template category violations.",
        alert=True,
    ),
    133016: CodeInfo(
        _O,
        "Limite de registro do número atingido (10 em 72 h).",
        "The number's registration limit was reached (10 in 72 h).",
        alert=True,
    ),
    131047: CodeInfo(
        _W,
        "Mais de 24 h desde a última mensagem do cliente; só modelos aprovados podem ser enviados.",
        "More than 24 h since the client's last message; only approved templates can be sent.",
    ),
    470: CodeInfo(
        _W,
        "Mais de 24 h desde a última mensagem do cliente.",
        "More than 24 h since the client's last message.",
    ),
    131026: CodeInfo(
        _P,
        "Não foi possível entregar: o número não usa WhatsApp, não aceitou os "
        "termos ou o app está desatualizado.",
        "Undeliverable: the number is not "
        "on WhatsApp, has not accepted the terms, or runs an old app.",
    ),
    131049: CodeInfo(
        _T,
        "A Meta não entregou para manter o engajamento saudável (limite de mensagens de "
        "marketing por cliente); nova tentativa só depois de 24 h.",
        "Meta did not deliver it to keep engagement healthy (per-user marketing limit); "
        "retried only after 24 h.",
        backoff="day",
    ),
    131050: CodeInfo(
        _P,
        "O cliente pediu para não receber mensagens de marketing; ela não é reenviada.",
        "The client stopped marketing messages; it is not sent again.",
    ),
    131060: CodeInfo(
        _P,
        "Conteúdo indisponível num número em coexistência com o app WhatsApp Business; "
        "guardado como não suportado.",
        "Content unavailable on a number shared with the WhatsApp Business app; kept as "
        "unsupported.",
    ),
    131063: CodeInfo(
        _O,
        "Os modelos de marketing estão desativados na Cloud API para esta conta; ative-os no "
        "Gerenciador do WhatsApp.",
        "Marketing templates are disabled on the Cloud API for this account; turn them on in "
        "WhatsApp Manager.",
        alert=True,
    ),
    130472: CodeInfo(
        _P,
        "O número do cliente está num experimento da Meta; não foi entregue.",
        "The client's number is in a Meta experiment; not delivered.",
    ),
    130497: CodeInfo(
        _P,
        "A conta não pode enviar mensagens para o país deste cliente.",
        "The account may not message clients in this country.",
    ),
    131051: CodeInfo(_P, "Tipo de mensagem não suportado.", "Unsupported message type."),
    131052: CodeInfo(
        _T, "Falha ao baixar a mídia; nova tentativa.", "Media download failed; retrying."
    ),
    131053: CodeInfo(
        _T, "Falha ao enviar a mídia; nova tentativa.", "Media upload failed; retrying."
    ),
    131000: CodeInfo(
        _T,
        "Erro desconhecido da Meta ao enviar; nova tentativa.",
        "Unknown error at Meta while sending; retrying.",
    ),
    131008: CodeInfo(
        _P,
        "Falta um parâmetro obrigatório na mensagem (erro do recado).",
        "A required parameter is missing (a recado bug).",
    ),
    131009: CodeInfo(
        _P,
        "Um parâmetro da mensagem é inválido (dados do agendamento?).",
        "A message parameter is invalid (appointment data?).",
    ),
    131016: CodeInfo(
        _T,
        "Serviço da Meta temporariamente indisponível; nova tentativa.",
        "Meta's service is temporarily unavailable; retrying.",
    ),
    131057: CodeInfo(
        _T,
        "Conta em manutenção na Meta; nova tentativa em instantes.",
        "The account is in maintenance at Meta; retrying shortly.",
        backoff="short",
    ),
    131021: CodeInfo(
        _P,
        "O destinatário é o próprio número do estúdio.",
        "The recipient is the studio's own number.",
    ),
    131030: CodeInfo(
        _O,
        "O número do cliente não está na lista de teste permitida na Meta.",
        "The client's number is not on Meta's test allow list.",
        alert=True,
    ),
    131031: CodeInfo(
        _O,
        "A conta WhatsApp está bloqueada (política ou PIN de duas etapas).",
        "The WhatsApp account is locked (policy or two-step PIN).",
        alert=True,
    ),
    131042: CodeInfo(
        _O,
        "Problema de pagamento na conta WhatsApp Business; verifique a forma de pagamento.",
        "Payment problem on the WhatsApp Business account; check the payment method.",
        alert=True,
        severity="critical",
    ),
    131045: CodeInfo(
        _O,
        "Erro de registro ou certificado do número.",
        "Phone number registration or certificate error.",
        alert=True,
    ),
    BSUID_UNSUPPORTED: CodeInfo(
        _P,
        "O WhatsApp não aceita esta mensagem pelo ID de usuário do cliente e o estúdio não "
        "tem o telefone dele: o cliente precisa compartilhar um número de telefone.",
        "WhatsApp does not take this message by the client's user ID and the studio has no "
        "phone number for them: the client must share a phone number.",
    ),
    131037: CodeInfo(
        _O,
        "O nome de exibição do número não foi aprovado.",
        "The number's display name is not approved.",
        alert=True,
    ),
    132000: CodeInfo(
        _P,
        "O número de variáveis do modelo não confere (configuração do modelo).",
        "The template's parameter count does not match (template config).",
    ),
    132001: CodeInfo(
        _P,
        "O modelo não existe neste idioma ou não foi aprovado.",
        "The template does not exist in this language or is not approved.",
        alert=True,
    ),
    132005: CodeInfo(_P, "O texto do modelo ficou longo demais.", "The template text is too long."),
    132007: CodeInfo(
        _P,
        "O conteúdo viola a política de modelos da Meta.",
        "The content violates Meta's template policy.",
    ),
    132008: CodeInfo(
        _P, "Formato de parâmetro do modelo inválido.", "Invalid template parameter format."
    ),
    132012: CodeInfo(
        _P, "Formato de parâmetro do modelo não confere.", "Template parameter format mismatch."
    ),
    132015: CodeInfo(
        _O,
        "O modelo está pausado por baixa qualidade.",
        "The template is paused for low quality.",
        alert=True,
    ),
    132016: CodeInfo(
        _O,
        "O modelo foi desativado por baixa qualidade.",
        "The template was disabled for low quality.",
        alert=True,
    ),
    133010: CodeInfo(
        _O,
        "O número não está registrado na Cloud API.",
        "The number is not registered on the Cloud API.",
        alert=True,
    ),
    368: CodeInfo(
        _O,
        "Conta temporariamente bloqueada por violação de política.",
        "The account is temporarily blocked for a policy violation.",
        alert=True,
    ),
    1: CodeInfo(
        _T, "Erro desconhecido na API da Meta; nova tentativa.", "Unknown Meta API error; retrying."
    ),
    2: CodeInfo(
        _T,
        "API da Meta temporariamente indisponível; nova tentativa.",
        "Meta's API is temporarily unavailable; retrying.",
    ),
    100: CodeInfo(
        _P,
        "Parâmetro inválido na chamada (erro do recado ou de configuração).",
        "Invalid parameter in the call (a recado bug or config).",
    ),
}
# Codes 200-299: permissions, like 10.
for _code in range(200, 300):
    CODES.setdefault(_code, CODES[10])

SUBCODES_190: dict[int, tuple[str, str]] = {
    458: ("o app foi removido da conta", "the app was removed from the account"),
    459: ("o usuário precisa entrar no Facebook", "the user must log in to Facebook"),
    460: ("a senha foi trocada", "the password was changed"),
    463: ("o token expirou", "the token expired"),
    464: ("o usuário não está confirmado", "the user is not confirmed"),
    467: ("o token é inválido (logout?)", "the token is invalid (logged out?)"),
}


@dataclass(frozen=True)
class Classification:
    kind: str
    code: int | None
    reason_code: str  # graph_<code>, http_<status>, transport_<kind>
    pt_br: str
    en: str
    backoff: str = "normal"
    alert: bool = False
    severity: str = "warning"


def classify(
    http_status: int | None,
    code: int | None,
    subcode: int | None = None,
    is_transient: bool | None = None,
) -> Classification:
    """Classify a Graph answer (send response or failed-status error)."""
    info = CODES.get(code) if code is not None else None
    if info is not None:
        pt, en = info.pt_br, info.en
        if code in (190, 102, 0) and subcode in SUBCODES_190:
            extra_pt, extra_en = SUBCODES_190[subcode]
            pt, en = f"{pt} Motivo: {extra_pt}.", f"{en} Reason: {extra_en}."
        kind = info.kind
        if is_transient is not None and kind in (TRANSIENT, PERMANENT):
            kind = TRANSIENT if is_transient else PERMANENT
        return Classification(
            kind, code, f"graph_{code}", pt, en, info.backoff, info.alert, info.severity
        )
    label = f"código {code}" if code is not None else "sem código"
    label_en = f"code {code}" if code is not None else "no code"
    if (
        is_transient is True
        or http_status is None
        or http_status in (429, 503)
        or (http_status >= 500)
    ):
        return Classification(
            TRANSIENT,
            code,
            f"graph_{code}" if code is not None else f"http_{http_status}",
            f"Erro temporário da Meta (HTTP {http_status}, {label}); nova tentativa.",
            f"Temporary error at Meta (HTTP {http_status}, {label_en}); retrying.",
            backoff="short" if http_status == 429 else "normal",
        )
    return Classification(
        PERMANENT,
        code,
        f"graph_{code}" if code is not None else f"http_{http_status}",
        f"A Meta recusou a mensagem (HTTP {http_status}, {label}).",
        f"Meta refused the message (HTTP {http_status}, {label_en}).",
    )


TRANSPORT_BEFORE_WRITE = ("connect_error", "connect_timeout")


def classify_transport(kind: str) -> Classification:
    """A failure before any byte of the request left: safe to retry, nothing was sent."""
    if kind not in TRANSPORT_BEFORE_WRITE:
        raise ValueError(
            f"{kind!r} may have reached Meta; the sender must mark the job uncertain instead"
        )
    return Classification(
        TRANSIENT,
        None,
        f"transport_{kind}",
        "Não foi possível conectar à Meta; nada foi enviado, nova tentativa.",
        "Could not connect to Meta; nothing was sent, retrying.",
    )
