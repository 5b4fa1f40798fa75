"""``POST /customers/<id>/reply``: an operator's free-form answer to a client, only while
their 24 h window is open (``storage/operator_reply.py``); the sender re-checks it at the
send. The body is ``{"text": "...", "request_id": "..."}`` (or the conversation page's form
with the same fields); the same request again queues nothing new."""

from __future__ import annotations

import re
from typing import Any

from quart import Quart, Response, jsonify, request

from recado.http.auth import client_ip, json_body
from recado.http.csrf import FORM_TYPES, require_operator
from recado.http.errors import json_error
from recado.rules.bounds import sql_int_ok
from recado.runtime.context import Daemon
from recado.storage.operator_reply import queue_operator_reply
from recado.whatsapp.templates import TEXT_LIMIT

_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_REFUSED = {
    "no_inbound": (
        "the client has not written yet: a free-form reply needs their message first",
        "o cliente ainda não escreveu: uma resposta livre precisa de uma mensagem dele antes",
    ),
    "window_closed": (
        "the client's 24-hour window is closed: only a template can reach them now",
        "a janela de 24 horas do cliente está fechada: só um modelo aprovado chega a ele agora",
    ),
}


def install_conversation_reply(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.post("/customers/<int:customer_id>/reply")
    @guarded
    async def reply(customer_id: int) -> Response:
        if not sql_int_ok(customer_id):
            return json_error(404, "not_found", f"no customer {customer_id}")
        if request.mimetype in FORM_TYPES:
            # The conversation page's form (require_operator checked its token).
            form = await request.form
            body: dict[str, Any] | Response = {
                "text": form.get("text"),
                "request_id": form.get("request_id"),
            }
        else:
            body = await json_body(("text", "request_id"))
        if isinstance(body, Response):
            return body
        text, request_id = body.get("text"), body.get("request_id")
        if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT:
            return json_error(
                422,
                "invalid_field",
                f"text: expected the reply, 1 to {TEXT_LIMIT} characters",
                pt=f"text: esperada a resposta, de 1 a {TEXT_LIMIT} caracteres",
                field="text",
            )
        if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
            return json_error(
                422,
                "invalid_field",
                "request_id: expected 1 to 64 letters, digits, - or _ (one per reply)",
                pt="request_id: esperados de 1 a 64 letras, dígitos, - ou _ (um por resposta)",
                field="request_id",
            )
        result = await daemon.storage.write(
            queue_operator_reply,
            customer_id,
            text,
            request_id,
            daemon.clock.now(),
            client_ip(),
        )
        if result["outcome"] == "not_found":
            return json_error(404, "not_found", f"no customer {customer_id}")
        if result["outcome"] == "refused":
            detail, pt = _REFUSED[result["reason"]]
            return json_error(409, "window_closed", detail, pt=pt, reason=result["reason"])
        daemon.after_commit("sender")
        return jsonify(
            {"id": result["id"], "state": result["state"], "new": result["outcome"] == "queued"}
        )
