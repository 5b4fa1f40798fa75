"""Operator views of the webhook inbox and the conversation ledger (CONTRACT §8)."""

from __future__ import annotations

from datetime import datetime

from quart import Quart, Response, jsonify

from recado.clock import from_unix, iso
from recado.http.auth import client_ip, json_body
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.params import ascii_digits, query_choice, query_int, query_optional_int
from recado.http.views import respond
from recado.rules.bounds import sql_int_ok
from recado.rules.instants import OutOfRange, parse_instant
from recado.rules.window import Ledger, window_state
from recado.runtime.context import Daemon
from recado.storage.audit import record_audit
from recado.storage.conversations import ledger_row, recent_activity
from recado.storage.inbox import recent_inbox
from recado.storage.webhook_set_aside import set_aside_items

_STATES = ("pending", "failed", "processed")
LIMIT_MAX = 500
# E.164 numbers have at most 15 digits; WhatsApp ids are numbers.
WA_ID_MAX = 20


def _ts(value: int | None) -> datetime | None:
    return from_unix(value)


def install_webhook_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/webhooks")
    @app.get("/webhooks.json")
    async def webhooks() -> Response:
        state = query_choice("state", _STATES)
        limit = query_int("limit", 50, maximum=LIMIT_MAX)
        before = query_optional_int("before")
        items = await daemon.storage.read(recent_inbox, limit, before, state)
        next_before = items[-1]["id"] if len(items) == limit else None
        set_aside = await daemon.storage.read(set_aside_items, 50)
        data = {"items": items, "next_before": next_before, "set_aside": set_aside}
        return await respond("webhooks.html", data)

    @app.get("/conversations/<wa_id>")
    @app.get("/conversations/<wa_id>.json")
    async def conversation(wa_id: str) -> Response:
        wa_id = wa_id.removesuffix(".json").lstrip("+")
        if not ascii_digits(wa_id, WA_ID_MAX):
            return json_error(
                422, "invalid_field", "wa_id: expected the client's number, digits only"
            )
        row = await daemon.storage.read(ledger_row, wa_id)
        ledger = None
        if row is not None:
            ledger = Ledger(
                wa_id=wa_id,
                last_inbound_at=_ts(row["last_inbound_at"]),
                last_outbound_at=_ts(row["last_outbound_at"]),
                inbound_count=row["inbound_count"],
                outbound_count=row["outbound_count"],
            )
        state = window_state(ledger, daemon.clock.now())
        activity = await daemon.storage.read(recent_activity, wa_id, 50)
        data = {
            "wa_id": wa_id,
            "ledger": None
            if row is None
            else {
                "profile_name": row["profile_name"],
                "last_inbound_at": _iso(row["last_inbound_at"]),
                "last_inbound_wamid": row["last_inbound_wamid"],
                "last_outbound_at": _iso(row["last_outbound_at"]),
                "last_echo_at": _iso(row["last_echo_at"]),
                "inbound_count": row["inbound_count"],
                "outbound_count": row["outbound_count"],
                "echo_count": row["echo_count"],
            },
            "window": {
                "open": state.open,
                "reason": state.reason,
                "last_inbound_at": iso(state.last_inbound_at) if state.last_inbound_at else None,
                "expires_at": iso(state.expires_at) if state.expires_at else None,
            },
            "activity": activity,
        }
        return await respond("conversation.html", data)

    @app.post("/webhooks/replay")
    @guarded
    async def replay() -> Response:
        body = await json_body()
        if isinstance(body, Response):
            return body
        since_raw, only_id = body.get("since"), body.get("id")
        since = None
        if since_raw is not None:
            try:
                since = parse_instant(since_raw)
            except OutOfRange as exc:
                return json_error(422, "invalid_field", f"since: {exc}", field="since")
            except ValueError:
                return json_error(
                    422,
                    "invalid_field",
                    "since: expected an RFC 3339 time with an offset",
                    field="since",
                )
        if only_id is not None and not (
            isinstance(only_id, int) and not isinstance(only_id, bool) and sql_int_ok(only_id)
        ):
            return json_error(
                422, "invalid_field", "id: expected an inbox id (a 64-bit integer)", field="id"
            )
        result = await daemon.commands.webhooks.replay(since, only_id)
        await daemon.storage.write(
            record_audit,
            daemon.clock.now(),
            "webhooks.replay",
            str(only_id or since_raw or "all"),
            client_ip(),
            "operator",
            result.as_json(),
        )
        return jsonify(result.as_json())


def _iso(value: int | None) -> str | None:
    ts = _ts(value)
    return iso(ts) if ts else None
