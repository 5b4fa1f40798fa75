"""What Meta says about a connection's token and account, in states and plain words
(WHATSAPP.md §9-§11): ``debug_token``'s verdict, ``account_update`` events and the phone
number's quality updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from recado.rules.bounds import unix_ok
from recado.rules.graph_errors import SUBCODES_190

TOKEN_WARN_BEFORE = timedelta(days=7)
HEALTH_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class TokenVerdict:
    state: str  # valid | expiring | invalid
    expires_at: datetime | None  # None: never
    data_access_expires_at: datetime | None
    pt_br: str
    en: str


def _instant(value: Any) -> datetime | None:
    """Graph's unix seconds; 0 (and anything out of range) is "never"."""
    if isinstance(value, int) and not isinstance(value, bool) and value and unix_ok(value):
        return datetime.fromtimestamp(value, UTC)
    return None


def _day(dt: datetime) -> str:
    return dt.strftime("%d/%m/%Y")


def token_verdict(data: dict[str, Any], now: datetime) -> TokenVerdict:
    """``debug_token``'s ``data`` judged at ``now``: invalid (Meta says so, or it expired),
    expiring (it or its data access ends within 7 days) or valid."""
    expires = _instant(data.get("expires_at"))
    data_access = _instant(data.get("data_access_expires_at"))
    if data.get("is_valid") is not True or (expires is not None and expires <= now):
        found = data.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        sub = error.get("subcode") if isinstance(error.get("subcode"), int) else None
        words = SUBCODES_190.get(sub) if sub is not None else None
        if words is None and expires is not None and expires <= now:
            words = SUBCODES_190[463]
        why_pt = f" Motivo: {words[0]}." if words else ""
        why_en = f" Reason: {words[1]}." if words else ""
        return TokenVerdict(
            "invalid",
            expires,
            data_access,
            "A Meta diz que o token da conexão não vale mais; os envios estão pausados. "
            f"Reconecte o WhatsApp.{why_pt}",
            f"Meta says the connection's token is no longer valid; sending is paused. "
            f"Reconnect WhatsApp.{why_en}",
        )
    soonest = min((d for d in (expires, data_access) if d is not None), default=None)
    if soonest is not None and soonest - now <= TOKEN_WARN_BEFORE:
        what_pt = "O token da conexão" if soonest == expires else "O acesso aos dados do token"
        what_en = "The connection's token" if soonest == expires else "The token's data access"
        return TokenVerdict(
            "expiring",
            expires,
            data_access,
            f"{what_pt} expira em {_day(soonest)}; reconecte o WhatsApp antes disso.",
            f"{what_en} expires on {_day(soonest)}; reconnect WhatsApp before then.",
        )
    return TokenVerdict("valid", expires, data_access, "Token válido.", "Token valid.")


DISCONNECTION_REASONS: dict[str, tuple[str, str]] = {
    "ACCOUNT_DISCONNECTED": ("a conta foi desconectada", "the account was disconnected"),
    "BUSINESS_DOWNGRADE": (
        "a conta deixou de ser uma conta comercial",
        "the account is no longer a business account",
    ),
    "CHANGE_NUMBER": ("o número da conta foi trocado", "the account's number was changed"),
    "COMPANION_INACTIVITY": (
        "a conexão ficou cerca de 30 dias sem uso",
        "the connection was unused for about 30 days",
    ),
    "PRIMARY_INACTIVITY": (
        "o app WhatsApp Business do celular ficou cerca de 14 dias sem ser aberto",
        "the WhatsApp Business app on the phone was not opened for about 14 days",
    ),
    "USER_RE_REGISTERED": (
        "o número foi registrado de novo em outro lugar",
        "the number was registered again elsewhere",
    ),
}


@dataclass(frozen=True)
class AccountEffect:
    event: str
    status: str | None  # the connection's new status, or None (kept in the history only)
    reason_code: str
    pt_br: str
    en: str
    waba_id: str | None
    phone_number: str | None


def account_effect(value: dict[str, Any]) -> AccountEffect:
    event = str(value.get("event") or "UNKNOWN")
    found = value.get("waba_info")
    waba: dict[str, Any] = found if isinstance(found, dict) else {}
    waba_id = str(waba["waba_id"]) if waba.get("waba_id") else None
    phone = value.get("phone_number")
    phone_number = digits(str(phone)) if phone else None
    info = value.get("disconnection_info")
    info = info if isinstance(info, dict) else {}
    reason = str(info.get("reason") or "")
    initiated = str(info.get("initiated_by") or "")
    if event == "PARTNER_REMOVED":
        pt, en = DISCONNECTION_REASONS.get(
            reason, (reason or "motivo não informado", reason or "no reason given")
        )
        by_pt = f", por iniciativa de {initiated}" if initiated else ""
        by_en = f", initiated by {initiated}" if initiated else ""
        return AccountEffect(
            event,
            "disconnected",
            f"PARTNER_REMOVED:{reason}" if reason else "PARTNER_REMOVED",
            "A empresa removeu o app da conta do WhatsApp Business: "
            f"{pt}{by_pt}. Os envios estão pausados; conecte o WhatsApp de novo.",
            f"The business removed the app from its WhatsApp Business account: {en}{by_en}. "
            "Sending is paused; connect WhatsApp again.",
            waba_id,
            phone_number,
        )
    if event == "ACCOUNT_OFFBOARDED":
        return AccountEffect(
            event,
            "disconnected",
            "ACCOUNT_OFFBOARDED",
            "A conta foi desligada deste app (offboarding) na Meta. Os envios estão pausados; "
            "conecte o WhatsApp de novo.",
            "The account was offboarded from this app at Meta. Sending is paused; connect "
            "WhatsApp again.",
            waba_id,
            phone_number,
        )
    if event == "ACCOUNT_RECONNECTED":
        return AccountEffect(
            event,
            "active",
            "ACCOUNT_RECONNECTED",
            "A Meta informou que a conta foi reconectada; o token é verificado de novo.",
            "Meta reported the account reconnected; the token is checked again.",
            waba_id,
            phone_number,
        )
    return AccountEffect(
        event,
        None,
        event,
        f"Atualização da conta na Meta: {event}.",
        f"Account update from Meta: {event}.",
        waba_id,
        phone_number,
    )


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@dataclass(frozen=True)
class QualityUpdate:
    display_phone_number: str | None
    event: str
    limit: str | None


def quality_update(value: dict[str, Any]) -> QualityUpdate:
    """``phone_number_quality_update``: ``max_daily_conversations_per_business`` replaced
    ``current_limit`` (removed in February 2026); either is read."""
    limit = value.get("max_daily_conversations_per_business") or value.get("current_limit")
    number = value.get("display_phone_number")
    return QualityUpdate(
        digits(str(number)) if number else None,
        str(value.get("event") or "UNKNOWN"),
        str(limit) if limit else None,
    )
