"""Routes both listeners share: liveness, readiness and the pages' static files."""

from __future__ import annotations

from quart import Quart, Response, jsonify

from recado.http.static_files import install_static_files
from recado.rules.health import public_readiness, readiness
from recado.runtime.context import Daemon
from recado.runtime.health import runtime_facts


def install_probes(app: Quart, daemon: Daemon, listener: str) -> None:
    install_static_files(app)

    @app.get("/healthz")
    async def healthz() -> Response:
        return jsonify({"status": "ok", "listener": listener})

    @app.get("/readyz")
    async def readyz() -> Response:
        facts = runtime_facts(daemon)
        # Details of a fault are for the studio's staff, not for whoever probes the internet.
        verdict = readiness(facts) if listener == "operator" else public_readiness(facts)
        response = jsonify({"ready": verdict.ready, "reasons": verdict.reasons})
        response.status_code = 200 if verdict.ready else 503
        return response
