"""What the dashboard shows of the Embedded Signup connection: the record's state, why it is
in error, a warning when its token expires soon, and the setup checklist shown until
WhatsApp is connected."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recado.clock import parse_iso
from recado.rules.connection_health import TOKEN_WARN_BEFORE
from recado.runtime.context import Daemon
from recado.storage import whatsapp_connections as cs

# Disconnected by the operator or replaced by a newer signup: nothing is wrong.
CHOSEN = ("operator", "superseded")


async def connection_facts(
    daemon: Daemon, now: datetime
) -> tuple[
    dict[str, Any] | None,
    tuple[str, str] | None,
    tuple[str, str] | None,
    list[tuple[str, bool]],
]:
    """(the record, its error (pt, en), its token warning (pt, en), the checklist)."""
    record = await daemon.storage.read(cs.latest)
    error = warning = None
    if record is not None:
        lost = record["status"] == "disconnected" and record["reason_code"] not in CHOSEN
        if record["status"] == "error" or lost:
            error = (record["reason_pt"] or "", record["reason_en"] or "")
        elif record["status"] == "active":
            warning = _expiry_warning(record, now)
    wa = daemon.config.whatsapp
    checklist = [
        ("app", bool(wa.app_id and wa.es_config_id and wa.app_secret)),
        ("flag", wa.embedded_signup_enabled),
        ("connect", record is not None and record["status"] == "active"),
        ("mode", wa.mode == "enabled"),
    ]
    return record, error, warning, checklist


def _expiry_warning(record: dict[str, Any], now: datetime) -> tuple[str, str] | None:
    for column, pt, en in (
        ("token_expires_at", "O token da conexão", "The connection's token"),
        ("data_access_expires_at", "O acesso aos dados do token", "The token's data access"),
    ):
        value = record[column]
        if value and parse_iso(value) - now <= TOKEN_WARN_BEFORE:
            day = parse_iso(value).strftime("%d/%m/%Y")
            return (
                f"{pt} expira em {day}; reconecte o WhatsApp antes disso.",
                f"{en} expires on {day}; reconnect WhatsApp before then.",
            )
    return None
