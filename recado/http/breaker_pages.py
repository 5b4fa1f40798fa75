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
from recado.runtime.context import Daemon


class BreakersPage(msgspec.Struct, frozen=True, kw_only=True):
    # Per service: state, failure_count, failure_threshold, open_s, opened_at, half_open_at.
    breakers: dict[str, dict[str, Any]]


def breakers_data(daemon: Daemon) -> BreakersPage:
    return BreakersPage(breakers=daemon.breakers.snapshot(daemon.clock.now()))


def install_breaker_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/circuit-breakers")
    @app.get("/circuit-breakers.json")
    async def breakers() -> Response:
        return await respond("breakers.html", breakers_data(daemon))

    @app.post("/circuit-breakers/<service>/reset")
    @guarded
    async def breaker_reset(service: str) -> Response:
        board = daemon.breakers
        if service not in board.states:
            return json_error(404, "not_found", f'no service "{service}" in [[services]]')
        after = await board.reset(service, client_ip())
        daemon.after_commit("deliveries")
        return jsonify(
            {
                "message": "Breaker reset",
                "service": service,
                "state": after.state,
                "failure_count": after.failure_count,
            }
        )
