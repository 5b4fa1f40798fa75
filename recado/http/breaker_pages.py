"""The circuit breakers of the studio's services and their manual reset
(docs/reference.md §9.2-9.3)."""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Quart, Response, jsonify

from recado.http.auth import client_ip
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.views import respond
from recado.rules import breaker as br
from recado.runtime.context import Daemon
from recado.storage.operator_actions import reset_breaker


class BreakersPage(msgspec.Struct, frozen=True, kw_only=True):
    # Per service: state, failure_count, failure_threshold, open_s, opened_at, half_open_at.
    breakers: dict[str, dict[str, Any]]


def breakers_data(daemon: Daemon) -> BreakersPage:
    board = daemon.hub.board if daemon.hub is not None else None
    return BreakersPage(breakers=board.snapshot(daemon.clock.now()) if board else {})


def install_breaker_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/circuit-breakers")
    @app.get("/circuit-breakers.json")
    async def breakers() -> Response:
        return await respond("breakers.html", breakers_data(daemon))

    @app.post("/circuit-breakers/<service>/reset")
    @guarded
    async def breaker_reset(service: str) -> Response:
        if daemon.hub is None or service not in daemon.hub.board.states:
            return json_error(404, "not_found", f'no service "{service}" in [[services]]')
        board = daemon.hub.board
        before = board.states[service]
        after = br.reset(before)
        now = daemon.clock.now()
        await daemon.storage.write(reset_breaker, service, before, after, now, client_ip())
        board.change(service, before, after)
        daemon.poke_hub()
        return jsonify(
            {
                "message": "Breaker reset",
                "service": service,
                "state": after.state,
                "failure_count": after.failure_count,
            }
        )
