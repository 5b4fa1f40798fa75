"""Account-level changes: template updates, phone number quality, and a field recado does
not know."""

from __future__ import annotations

from typing import Any

from recado.testing.webhook_bodies.envelope import BUSINESS_NUMBER


def template_status(
    event: str = "APPROVED", name: str = "aviso_de_agendamento", reason: str | None = "NONE"
) -> dict[str, Any]:
    return {
        "field": "message_template_status_update",
        "value": {
            "event": event,
            "message_template_id": 1689556908129832,
            "message_template_name": name,
            "message_template_language": "pt_BR",
            "reason": reason,
            "message_template_category": "UTILITY",
        },
    }


def quality_update() -> dict[str, Any]:
    return {
        "field": "phone_number_quality_update",
        "value": {
            "display_phone_number": BUSINESS_NUMBER,
            "event": "THROUGHPUT_UPGRADE",
            "max_daily_conversations_per_business": "TIER_UNLIMITED",
        },
    }


def unknown_field(field: str = "some_future_field") -> dict[str, Any]:
    return {"field": field, "value": {"anything": [1, 2, 3], "nested": {"ok": True}}}
