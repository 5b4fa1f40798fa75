"""Connect WhatsApp (CONTRACT §9): the page and its API, on the operator listener.

The contract placed the signup callback on the public listener; issue 13 moved it here. The
callback must come from the page that ran Meta's popup (the same origin) and its state is
bound to that page's session, so it never needs to be reachable from the internet: the
public listener never takes a code.

- ``GET /connect/whatsapp`` (and ``.json``): requirements, the state of the connection, its
  history, the coexistence syncs and the signup funnel;
- ``POST /api/v1/whatsapp/embedded-signup/start`` → ``{"state"}`` (one-time, 10 minutes);
- ``POST /api/v1/whatsapp/embedded-signup/callback`` ``{"code", "state", "waba_id",
  "phone_number_id"}`` → ``{"success": true, "connection_id"}``;
- ``POST /api/v1/whatsapp/embedded-signup/cancel`` (the popup closed without a code);
- ``GET /api/v1/whatsapp/connection/status``, ``POST /api/v1/whatsapp/connection/disconnect``;
- ``POST /keys/rotate`` (``recado keys rotate``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import trio
from quart import Quart, Response, jsonify, request

from recado.http.auth import client_ip, json_body
from recado.http.connect_auth import operator_or_page
from recado.http.connect_data import connect_data
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.views import respond, wants_json
from recado.runtime.connection_commands import Answer, CallbackInput, PopupEnded
from recado.runtime.context import Daemon
from recado.storage.product_events import record_event

# ASCII only: \d takes any script's digits, and Meta's ids are ASCII.
_DIGITS = re.compile(r"[0-9]{1,32}")
_WORD = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CODE = re.compile(r"[!-~]{1,4096}")
_STATE = re.compile(r"[A-Za-z0-9_-]{1,128}")
# The whole flow must finish once begun, even if the browser goes away: a half-done signup
# would be left "connecting" until the health check marks it interrupted.
CALLBACK_DEADLINE_S = 60.0
SCRIPT = (Path(__file__).parent / "assets" / "connect_whatsapp.js").read_bytes()


def _answer(answer: Answer) -> Response:
    response = jsonify(answer.body)
    response.status_code = answer.status
    return response


def _text(
    body: dict[str, Any], key: str, pattern: re.Pattern[str], *, required: bool
) -> str | Response | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            return json_error(422, "invalid_field", f"{key}: required", field=key)
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        return json_error(422, "invalid_field", f"{key}: not a valid value", field=key)
    return value


def install_connect_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)
    page_or_key = operator_or_page(lambda: daemon.api_key)
    commands = daemon.commands

    @app.get("/connect/whatsapp")
    @app.get("/connect/whatsapp.json")
    async def connect_page() -> Response:
        data = await connect_data(daemon)
        # The page's own script fetches it again when a flow ends: not another visit.
        if not wants_json() and request.args.get("refresh") != "1":
            await daemon.storage.write(
                record_event, daemon.clock.now(), "WhatsApp Setup Screen Viewed", None, {}
            )
        return await respond("connect_whatsapp.html", data)

    @app.get("/assets/connect_whatsapp.js")
    async def connect_script() -> Response:
        return Response(SCRIPT, content_type="text/javascript; charset=utf-8")

    @app.post("/api/v1/whatsapp/embedded-signup/start")
    @page_or_key
    async def signup_start(session: str) -> Response:
        return _answer(await commands.connection.start(session, client_ip()))

    @app.post("/api/v1/whatsapp/embedded-signup/callback")
    @page_or_key
    async def signup_callback(session: str) -> Response:
        body = await json_body()
        if isinstance(body, Response):
            return body
        fields = {
            "code": _text(body, "code", _CODE, required=True),
            "state": _text(body, "state", _STATE, required=True),
            "waba_id": _text(body, "waba_id", _DIGITS, required=False),
            "phone_number_id": _text(body, "phone_number_id", _DIGITS, required=False),
            "finish_event": _text(body, "finish_event", _WORD, required=False),
        }
        for value in fields.values():
            if isinstance(value, Response):
                return value
        given = CallbackInput(**fields)  # type: ignore[arg-type]
        answer = Answer(
            504,
            {
                "error": "signup_timeout",
                "detail": f"the signup did not finish within {CALLBACK_DEADLINE_S:.0f} s; "
                "its connection is marked interrupted shortly",
            },
        )
        with trio.CancelScope(shield=True) as scope:
            scope.deadline = trio.current_time() + CALLBACK_DEADLINE_S
            answer = await commands.connection.callback(session, client_ip(), given)
        return _answer(answer)

    @app.post("/api/v1/whatsapp/embedded-signup/cancel")
    @page_or_key
    async def signup_cancel(session: str) -> Response:
        body = await json_body()
        if isinstance(body, Response):
            return body
        state = _text(body, "state", _STATE, required=True)
        step = _text(body, "current_step", _WORD, required=False)
        code = _text(body, "error_code", _WORD, required=False)
        message = body.get("error_message")
        for value in (state, step, code):
            if isinstance(value, Response):
                return value
        if message is not None and (not isinstance(message, str) or len(message) > 1000):
            return json_error(
                422,
                "invalid_field",
                "error_message: text of at most 1000 characters",
                field="error_message",
            )
        ended = PopupEnded(state, step, code, message or None)  # type: ignore[arg-type]
        return _answer(await commands.connection.popup_ended(session, client_ip(), ended))

    @app.get("/api/v1/whatsapp/connection/status")
    async def connection_status() -> Response:
        return jsonify(msgspec.to_builtins(await commands.connection.status()))

    @app.post("/api/v1/whatsapp/connection/disconnect")
    @guarded
    async def connection_disconnect() -> Response:
        return _answer(await commands.connection.disconnect(client_ip()))

    @app.post("/keys/rotate")
    @guarded
    async def keys_rotate() -> Response:
        return _answer(await commands.connection.rotate_keys(client_ip()))
