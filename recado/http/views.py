"""One data function per page, one way to answer it: JSON for scripts, HTML for people
(datasette's pattern).

A page's data function returns a msgspec Struct; ``respond`` sends it as JSON when the
request asks for it (a ``.json`` path or ``Accept: application/json``), otherwise renders
the page's template with it as ``data`` and links the JSON as the alternate view.
"""

from __future__ import annotations

import msgspec
from quart import Response, jsonify, render_template, request


def wants_json() -> bool:
    if request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


async def respond(template: str, data: msgspec.Struct) -> Response:
    if wants_json():
        # Through jsonify, so keys come sorted as every other JSON answer of the daemon.
        return jsonify(msgspec.to_builtins(data))
    html = await render_template(template, data=data)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Link"] = f'<{request.path.removesuffix(".json")}.json>; rel="alternate"'
    return response
