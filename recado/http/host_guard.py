"""The operator listener answers only requests addressed to one of its own names, so a page
of another site that rebinds its name to this machine reads and posts nothing
(recado/rules/host_check.py says which names)."""

from __future__ import annotations

from quart import Quart, Response, request

from recado.http.errors import json_error
from recado.logs import get_logger
from recado.rules.host_check import host_problem
from recado.runtime.context import Daemon

log = get_logger("http")


def install_host_guard(app: Quart, daemon: Daemon) -> None:
    @app.before_request
    async def own_host_only() -> Response | None:
        listener = daemon.listeners.get("operator")
        if listener is None or listener.bound is None:
            return None  # not served on a socket (an app under test): no name to compare
        host = request.headers.get("Host")
        if not host and request.http_version < "1.1":
            host = None  # Quart fills an HTTP/1.0 request's missing Host with ""
        problem = host_problem(host, listener.bound, daemon.config.http.operator_hosts)
        if problem is None:
            return None
        log.warning("wrong_host_refused", path=request.path, host=(host or "")[:80])
        return json_error(
            421,
            "wrong_host",
            problem,
            pt="este endereço não é um dos nomes do painel (use o endereço do próprio recado "
            "ou um nome de http.operator_hosts)",
        )
