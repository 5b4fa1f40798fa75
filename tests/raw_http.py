"""Raw-socket HTTP for tests that send what no client library would (malformed requests,
bodies that never arrive), with h11 reading the answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import h11
import trio


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  # the server closed the connection after answering

    def json(self) -> Any:
        return json.loads(self.body)


def host_port(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").rpartition(":")
    return host.strip("[]"), int(port)


async def read_response(
    stream: trio.SocketStream, timeout_s: float = 10, *, see_close: bool = True
) -> RawResponse:
    conn = h11.Connection(h11.CLIENT)
    # A request was "sent" as far as h11 knows, so it accepts the server's answer.
    conn.send(h11.Request(method="GET", target="/", headers=[("host", "x")]))
    conn.send(h11.EndOfMessage())
    status, headers, body = 0, {}, b""
    with trio.fail_after(timeout_s):
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    closed = False
    if not see_close:
        return RawResponse(status, headers, body, closed)
    with trio.move_on_after(2):
        try:
            closed = await stream.receive_some(65536) == b""
        except trio.BrokenResourceError:
            closed = True
    return RawResponse(status, headers, body, closed)


async def exchange(url: str, data: bytes, timeout_s: float = 10) -> RawResponse:
    stream = await trio.open_tcp_stream(*host_port(url))
    async with stream:
        await stream.send_all(data)
        return await read_response(stream, timeout_s)
