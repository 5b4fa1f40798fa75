"""One JSON error shape for every 4xx/5xx: ``{"error": "<code>", "detail": "<sentence>"}``."""

from __future__ import annotations

from typing import Any

from quart import Quart, Response, g, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from recado.logs import get_logger
from recado.rules.storage_faults import RETRY_AFTER_S, http_detail
from recado.storage.faults import StorageFault

log = get_logger("http")


def json_error(
    status: int, code: str, detail: str, *, pt: str | None = None, **extra: Any
) -> Response:
    """The error answer; ``pt`` is the detail in pt-BR for a person's error page (the JSON
    keeps English for scripts; recado/http/error_pages.py picks the words)."""
    response = jsonify({"error": code, "detail": detail, **extra})
    response.status_code = status
    if pt is not None and has_request_context():
        g.setdefault("error_details_pt", {})[code] = pt
    return response


def install_error_handlers(app: Quart) -> None:
    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        detail = exc.description or exc.name or "error"
        pt = None
        if exc.code == 413:
            detail = "the request body is larger than this endpoint accepts"
        elif exc.code == 404:
            detail = f"no such page or record: {request.path}"
            pt = f"nenhuma página ou registro em {request.path[:200]}"
        elif exc.code == 405:
            pt = f"este endereço não aceita o método {request.method}"
        response = json_error(exc.code or 500, code, detail, pt=pt)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(StorageFault)
    async def storage_fault(exc: StorageFault) -> Response:
        # Not the request's fault and nothing was stored: a client (Meta) retries a 503.
        log.warning("request_storage_fault", kind=exc.kind, detail=exc.detail)
        response = json_error(503, "storage_unavailable", http_detail(exc.kind))
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.errorhandler(Exception)
    async def unexpected(exc: Exception) -> Response:
        log.exception("request_failed", error_type=type(exc).__name__)
        return json_error(
            500, "internal_error", "the daemon failed to handle this request; see its log"
        )
