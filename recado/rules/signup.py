"""The Embedded Signup flow's policy (WHATSAPP.md §9, CONTRACT §9): the one-time state, which
WABA and number the signup granted, and what each failed step means in words.

Ids the browser sends are hints: the WABA is checked against the ones the new token was
granted (when ``debug_token`` lists any, whatever the scopes are named) and proved by a call
with the token; the number must be one of the WABA's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from recado.rules.graph_errors import SUBCODES_190

# Meta's object ids go into request paths: ASCII digits only (never "../", "?", other
# scripts' digits), and a bounded length. Meta's words (names, numbers) are bounded too.
_META_ID = re.compile(r"[0-9]{1,32}", re.ASCII)
TEXT_MAX = 256

STATE_TTL = timedelta(minutes=10)
# The popup's code lives about 30 s (Meta); the page hands it over at once.
CODE_TTL_S = 30
# A connection still "connecting" after this was interrupted (a crash, a hung call).
CONNECTING_STALE = timedelta(minutes=2)
# Spec alert rule: more than 20 % of the signups that ended in the last hour failed.
ERROR_RATE_WINDOW = timedelta(hours=1)
ERROR_RATE_MAX = 0.20
# Coexistence: both one-time syncs within 24 h of onboarding; alert at 20 h.
SMB_DEADLINE = timedelta(hours=24)
SMB_ALERT_AFTER = timedelta(hours=20)

STEPS_PT = {
    "state": "validação da sessão",
    "exchange_code": "troca do código pelo token",
    "debug_token": "verificação do token (debug_token)",
    "waba": "verificação da conta do WhatsApp Business (WABA)",
    "phone_numbers": "consulta dos números da conta (WABA)",
    "subscribe": "inscrição do app na conta (webhooks)",
    "override": "endereço próprio de webhooks (override)",
    "register": "registro do número",
    "smb_sync": "sincronização com o app WhatsApp Business",
    "store": "gravação da conexão",
    "popup": "janela de cadastro da Meta",
    "send": "envio de mensagem",
    "health": "verificação diária do token",
    "unsubscribe": "cancelamento da inscrição",
    "connected": "conexão concluída",
    "superseded": "substituída",
    "account_update": "atualização da conta (Meta)",
    "quality_update": "atualização de qualidade (Meta)",
    "number": "consulta do número",
    "templates": "leitura dos modelos de mensagem",
}
STEPS_EN = {
    "state": "session check",
    "exchange_code": "exchanging the code for a token",
    "debug_token": "checking the token (debug_token)",
    "waba": "checking the WhatsApp Business account (WABA)",
    "phone_numbers": "looking up the account's numbers (WABA)",
    "subscribe": "subscribing the app to the account (webhooks)",
    "override": "own webhook address (override)",
    "register": "registering the number",
    "smb_sync": "syncing with the WhatsApp Business app",
    "store": "saving the connection",
    "popup": "Meta's signup window",
    "send": "sending a message",
    "health": "daily token check",
    "unsubscribe": "unsubscribing",
    "connected": "connection completed",
    "superseded": "replaced",
    "account_update": "account update (Meta)",
    "quality_update": "quality update (Meta)",
    "number": "number lookup",
    "templates": "reading the message templates",
}


def state_problem(row: dict[str, Any] | None, session_hash: str, now: datetime) -> str | None:
    """Why a state cannot be spent (``state_missing``, ``state_reused``, ``state_expired``,
    ``state_other_session``), or None. ``row`` is the stored state."""
    if row is None:
        return "state_missing"
    if row["used_at"] is not None:
        return "state_reused"
    if row["session_hash"] != session_hash:
        return "state_other_session"
    if now >= datetime.fromisoformat(row["expires_at"].replace("Z", "+00:00")):
        return "state_expired"
    return None


STATE_DETAIL = {
    "state_missing": "state: unknown (expected the state the start answered)",
    "state_reused": "state: already used (expected a new state from start)",
    "state_expired": "state: expired (it lives 10 minutes; start again)",
    "state_other_session": "state: issued to another session (start again on this page)",
}


@dataclass(frozen=True)
class Number:
    id: str
    display_phone_number: str
    verified_name: str
    quality_rating: str | None
    is_on_biz_app: bool | None


def meta_id(value: Any) -> str | None:
    """``value`` as a Meta object id (text of ASCII digits), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if _META_ID.fullmatch(text) else None


def meta_text(value: Any) -> str:
    """A word of Meta's (a name, a display number) as bounded text; "" when not text."""
    return value[:TEXT_MAX] if isinstance(value, str) else ""


def granted_wabas(debug_data: dict[str, Any]) -> list[str]:
    """Every target id of every granular scope, whatever the scope's name (Meta renamed
    them in June 2026; a check on the names refused every signup). A target that is not an
    id is left out."""
    out: list[str] = []
    scopes = debug_data.get("granular_scopes")
    for scope in scopes if isinstance(scopes, list) else []:
        targets = scope.get("target_ids") if isinstance(scope, dict) else None
        for target in targets if isinstance(targets, list) else []:
            found = meta_id(target)
            if found is not None and found not in out:
                out.append(found)
    return out


def choose_waba(hint: str | None, granted: list[str]) -> str | None:
    """The WABA to prove: the browser's hint when the token was granted it (or when Meta
    listed no targets at all), else the only one granted."""
    if hint and (not granted or hint in granted):
        return hint
    if not hint and len(granted) == 1:
        return granted[0]
    return None


def parse_numbers(data: dict[str, Any]) -> list[Number]:
    """The WABA's numbers Meta listed; an item without a valid id is left out."""
    out = []
    items = data.get("data")
    for item in items if isinstance(items, list) else []:
        number_id = meta_id(item.get("id")) if isinstance(item, dict) else None
        if number_id is None:
            continue
        on_app = item.get("is_on_biz_app")
        out.append(
            Number(
                number_id,
                meta_text(item.get("display_phone_number")),
                meta_text(item.get("verified_name")),
                meta_text(item.get("quality_rating")) or None,
                on_app if isinstance(on_app, bool) else None,
            )
        )
    return out


def choose_number(hint: str | None, numbers: list[Number]) -> Number | str:
    """The number the signup connected, or why none can be told: ``number_not_in_waba``
    (the hint is not one of the WABA's), ``no_number`` or ``several_numbers``."""
    if hint:
        found = next((n for n in numbers if n.id == hint), None)
        return found if found is not None else "number_not_in_waba"
    if len(numbers) == 1:
        return numbers[0]
    return "no_number" if not numbers else "several_numbers"


def is_coexistence(finish_event: str | None, number: Number) -> bool:
    """Meta's field says so when it is present; otherwise the finish event does."""
    if number.is_on_biz_app is not None:
        return number.is_on_biz_app
    return finish_event == "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING"


def _meta_words(code: int | None, subcode: int | None, message: str) -> tuple[str, str]:
    if code in (190, 102, 0) and subcode in SUBCODES_190:
        pt, en = SUBCODES_190[subcode]
        return f"o token foi recusado: {pt}", f"the token was refused: {en}"
    if code == 100 and subcode == 36007:
        return (
            "o código da Meta expirou antes de ser trocado (ele vale cerca de 30 segundos)",
            "Meta's code expired before it was exchanged (it lives about 30 seconds)",
        )
    if code == 133005:
        return (
            "o PIN de verificação em duas etapas não confere com o do número",
            "the two-step verification PIN does not match the number's",
        )
    if code == 133016:
        return (
            "o número atingiu o limite de registros da Meta (10 em 72 horas)",
            "the number hit Meta's registration limit (10 in 72 hours)",
        )
    said = f"a Meta respondeu: {message}" if message else "a Meta não respondeu"
    said_en = f"Meta answered: {message}" if message else "Meta did not answer"
    return said, said_en


def step_failure(
    step: str,
    http_status: int | None,
    code: int | None,
    subcode: int | None,
    message: str,
) -> tuple[str, str]:
    """The pt-BR and English reason of a connection left in ``error`` by ``step``."""
    pt, en = _meta_words(code, subcode, message)
    where_pt, where_en = STEPS_PT.get(step, step), STEPS_EN.get(step, step)
    tag = (
        f" (código {code})"
        if code is not None
        else (f" (HTTP {http_status})" if http_status else "")
    )
    tag_en = (
        f" (code {code})" if code is not None else (f" (HTTP {http_status})" if http_status else "")
    )
    extra_pt, extra_en = "", ""
    if step == "subscribe":
        extra_pt = " Sem a inscrição nenhuma mensagem dos clientes chegaria."
        extra_en = " Without the subscription no client message would arrive."
    return (
        f"Falha na etapa «{where_pt}»: {pt}{tag}.{extra_pt} A conexão não foi concluída.",
        f"Step «{where_en}» failed: {en}{tag_en}.{extra_en} The connection was not completed.",
    )


def local_failure(step: str, why_pt: str, why_en: str) -> tuple[str, str]:
    """A step that failed on our side of the wire (the data Meta gave does not fit)."""
    where_pt, where_en = STEPS_PT.get(step, step), STEPS_EN.get(step, step)
    return (
        f"Falha na etapa «{where_pt}»: {why_pt}. A conexão não foi concluída.",
        f"Step «{where_en}» failed: {why_en}. The connection was not completed.",
    )


NUMBER_PROBLEMS = {
    "number_not_in_waba": (
        "o número informado pela janela da Meta não pertence à conta concedida",
        "the number the Meta window reported does not belong to the granted account",
    ),
    "no_number": ("a conta não tem nenhum número", "the account has no phone number"),
    "several_numbers": (
        "a conta tem vários números e a janela da Meta não disse qual foi conectado",
        "the account has several numbers and the Meta window did not say which one",
    ),
    "waba_not_granted": (
        "a conta do WhatsApp Business informada não foi concedida a este app",
        "the reported WhatsApp Business account was not granted to this app",
    ),
}


def error_rate_exceeded(completed: int, failed: int) -> bool:
    ended = completed + failed
    return ended > 0 and failed / ended > ERROR_RATE_MAX
