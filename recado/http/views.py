"""One data function per page: JSON for scripts, HTML for people (datasette's pattern)."""

from __future__ import annotations

from typing import Any

from quart import Response, jsonify, render_template, request


def wants_json() -> bool:
    if request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


async def respond(template: str, data: dict[str, Any], **context: Any) -> Response:
    if wants_json():
        return jsonify(data)
    html = await render_template(template, data=data, **context)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Link"] = f'<{request.path.removesuffix(".json")}.json>; rel="alternate"'
    return response
