"""Status webhooks of what the studio sent, Graph error objects, and a ``messages`` change
that carries only errors."""

from __future__ import annotations

from typing import Any

from recado.testing.webhook_bodies.envelope import metadata


def status(
    wamid_: str,
    status_: str,
    *,
    ts: int = 1767225800,
    recipient: str = "5511987654321",
    callback_data: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid_,
        "status": status_,
        "timestamp": str(ts),
        "recipient_id": recipient,
    }
    if callback_data:
        item["biz_opaque_callback_data"] = callback_data
    if status_ == "sent":
        item["conversation"] = {
            "id": "c0ffee12",
            "expiration_timestamp": str(ts + 86400),
            "origin": {"type": "utility"},
        }
        item["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "category": "utility",
            "type": "regular",
        }
    if errors:
        item["errors"] = errors
    return {
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": metadata(), "statuses": [item]},
    }


def graph_error(code: int, title: str, details: str) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }


def value_errors() -> dict[str, Any]:
    return {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "errors": [graph_error(131000, "Something went wrong", "Message failed to send")],
        },
    }
