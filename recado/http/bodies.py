"""A request's body is read to its end before the answer goes out.

A route that refuses early (a wrong API key, say) answers without reading the body; on a
keep-alive connection hypercorn then waits for the app to take the rest of it, and the
answer never reaches the client, which times out instead of getting its 401. Reading what
is left (bounded by MAX_CONTENT_LENGTH and BODY_TIMEOUT) keeps the connection usable. A body
that cannot be read (too large, too slow) is left alone and the connection is closed after
the answer instead.
"""

from __future__ import annotations

from quart import Quart, Response, request
from werkzeug.exceptions import HTTPException

# The body already failed to arrive: waiting for it again would only delay the answer.
_UNREADABLE = (408, 413)


def install_body_drain(app: Quart) -> None:
    @app.after_request
    async def drain(response: Response) -> Response:
        if response.status_code in _UNREADABLE:
            response.headers["Connection"] = "close"
            return response
        try:
            await request.get_data(cache=False)
        except HTTPException:
            response.headers["Connection"] = "close"
        return response
