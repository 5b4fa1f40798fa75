"""The small HTTP/1.1 server under the test doubles: h11 over trio sockets, keep-alive,
one request at a time per connection, fast enough to sit behind benchmarks."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import h11
import trio

Handler = Callable[[h11.Connection, trio.SocketStream, h11.Request, bytes], Awaitable[bool]]


async def serve_h11(
    handle: Handler,
    host: str,
    port: int,
    *,
    task_status: trio.TaskStatus[tuple[int, trio.Nursery]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Listen on ``host:port`` (0: the kernel picks); reports the port and the nursery the
    connections run in, for a double that starts work of its own beside them."""
    listeners = await trio.open_tcp_listeners(port, host=host)

    async def connection(stream: trio.SocketStream) -> None:
        await serve_connection(stream, handle)

    async with trio.open_nursery() as nursery:
        task_status.started((listeners[0].socket.getsockname()[1], nursery))
        await trio.serve_listeners(connection, listeners, handler_nursery=nursery)


class H11Double:
    """What a double needs to listen: ``port`` (0 picks one) and ``_handle``; ``_nursery``
    is where its connections run, for work it starts beside them."""

    port: int
    _nursery: trio.Nursery | None
    _handle: Handler

    async def serve(
        self,
        host: str = "127.0.0.1",
        *,
        task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        async with trio.open_nursery() as nursery:
            self.port, self._nursery = await nursery.start(serve_h11, self._handle, host, self.port)
            task_status.started(self.port)


async def serve_connection(stream: trio.SocketStream, handle: Handler) -> None:
    """Requests until the client leaves; ``handle`` answers and says whether to keep going."""
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            request, body = await read_request(conn, stream)
            if request is None:
                return
            keep_going = await handle(conn, stream, request, body)
            if not keep_going or conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()
    except (trio.BrokenResourceError, trio.ClosedResourceError, h11.RemoteProtocolError):
        return
    finally:
        await stream.aclose()


async def read_request(
    conn: h11.Connection, stream: trio.SocketStream
) -> tuple[h11.Request | None, bytes]:
    request: h11.Request | None = None
    body = b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await stream.receive_some(65536)
            conn.receive_data(data)
            if not data and request is None:
                return None, b""
            continue
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return request, body
        elif isinstance(event, h11.ConnectionClosed):
            return None, b""


async def respond(
    conn: h11.Connection,
    stream: trio.SocketStream,
    status: int,
    body: Any,
    extra_headers: list[tuple[str, str]] | None = None,
) -> None:
    # Bytes go as they are: JSON no encoder writes (a number beyond a float's range).
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = [("content-type", "application/json"), ("content-length", str(len(raw)))]
    headers += extra_headers or []
    await stream.send_all(conn.send(h11.Response(status_code=status, headers=headers)))
    await stream.send_all(conn.send(h11.Data(data=raw)))
    await stream.send_all(conn.send(h11.EndOfMessage()))
