"""hypercorn's own error answers (bad request line, bad header, headers too large) in our
JSON error shape.

When h11 cannot parse a request, hypercorn answers by itself, before any app sees it, with
an empty body: a client then gets a bare status where every other refusal of ours says
``{"error": ..., "detail": ...}``. hypercorn has no option for it, so this replaces its one
method that writes those answers, ``H11Protocol._send_error_response``. pyproject.toml pins
hypercorn to a range where that method exists with this signature, and
tests/test_http_errors.py sends malformed requests on raw sockets, so an upgrade that moves
it fails a test instead of quietly bringing the empty bodies back.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from itertools import chain

import h11
from hypercorn.protocol.h11 import H11Protocol

# Fixed sentences: h11's own messages can quote the bytes the peer sent.
_DETAILS = {
    400: "the request is not valid HTTP/1.1 (malformed request line, header or framing)",
    431: "the request line and headers are larger than this server accepts",
}
_DEFAULT_DETAIL = "the request cannot be handled by this server"


def error_body(status: int) -> bytes:
    code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    detail = _DETAILS.get(status, _DEFAULT_DETAIL)
    return json.dumps({"error": code, "detail": detail}).encode()


async def _send_json_error_response(self: H11Protocol, status_code: int) -> None:
    # h11 hints 501 for a transfer coding it does not know; that is the client's request
    # at fault, and every refusal of ours is a 4xx.
    status = status_code if 400 <= status_code < 500 else 400
    body = error_body(status)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await self._send_h11_event(
        h11.Response(
            status_code=status,
            headers=list(chain(headers, self.config.response_headers("h11"))),
        )
    )
    await self._send_h11_event(h11.Data(data=body))
    await self._send_h11_event(h11.EndOfMessage())


def install_json_error_responses() -> None:
    # The one deliberate patch of a library method (see the module docstring for why).
    H11Protocol._send_error_response = _send_json_error_response  # type: ignore[method-assign]
