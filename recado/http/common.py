"""Routes both listeners share: liveness and readiness."""

from __future__ import annotations

from typing import Any

from quart import Quart, Response, jsonify

from recado.clock import iso
from recado.runtime.context import Daemon


def readiness(daemon: Daemon) -> dict[str, Any]:
    reasons = []
    if not daemon.storage.is_open:
        reasons.append("storage is not open")
    if (fault := daemon.storage.fault) is not None:
        reasons.append(f"storage fault since {iso(fault.since)}: {fault.kind} ({fault.detail})")
    for name, status in daemon.supervisor.actors.items():
        if status.state != "running":
            reasons.append(f"actor {name} is {status.as_json()['state']}")
    if not daemon.ready:
        reasons.append("the daemon is starting or stopping")
    return {"ready": not reasons, "reasons": reasons}


def install_probes(app: Quart, daemon: Daemon, listener: str) -> None:
    @app.get("/healthz")
    async def healthz() -> Response:
        return jsonify({"status": "ok", "listener": listener})

    @app.get("/readyz")
    async def readyz() -> Response:
        body = readiness(daemon)
        response = jsonify(body)
        response.status_code = 200 if body["ready"] else 503
        return response
