"""Deadlines on a connection, so no client holds one of a listener's capped slots for long.

hypercorn bounds a connection by a per-read timeout (which each trickled byte restarts) and
a keep-alive timer, and under quart-trio three of its paths left connections open:
quart-trio cancels the app's task as soon as an answer is out, which cancelled both the
close after a ``Connection: close`` answer (the connection stayed until the client left or a
read timed out: forever on the operator listener) and the restart of the keep-alive timer
(a kept-alive connection had none); and a client that left while its headers were arriving
left the timer holding its slot until it expired. ``BoundedConnection`` is hypercorn's
``TCPServer`` with those paths fixed and four deadlines (docs/reference.md §1.2):

- headers: a request line and headers must be complete within ``header_timeout_s`` of the
  request's first byte (of the accept, for a connection's first request), however the bytes
  are spread;
- idle: after an answer, the next request must begin within ``keep_alive_s``;
- lifetime: after ``lifetime_s`` no new request is read; the answer in flight says
  ``Connection: close`` and the connection closes after it;
- sending: one write of an answer may wait ``send_timeout_s`` for a client that stopped
  reading.

The connection speaks HTTP/1.1 only: an ``Upgrade: h2c`` is ignored (served as HTTP/1.1) and
the HTTP/2 preface is refused like any malformed request, so every connection is one these
deadlines understand. TLS is a proxy's job (docs/deploy.md).
"""

from __future__ import annotations

from math import inf

import h11
import trio
from hypercorn.config import Config
from hypercorn.events import Closed, Event, RawData, Updated
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.trio.task_group import TaskGroup
from hypercorn.trio.tcp_server import MAX_RECV, TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import AppWrapper, ConnectionState, LifespanState
from hypercorn.utils import parse_socket_addr

from recado.runtime.listeners import ConnectionLimits


class _HTTP11Only(H11Protocol):
    async def _check_protocol(self, event: h11.Request) -> None:
        # hypercorn would switch to HTTP/2 here (h2c upgrade, prior knowledge), where none
        # of these deadlines hold; an upgrade a server ignores is still valid HTTP/1.1.
        return None

    def close_after_answer(self) -> None:
        # hypercorn adds "connection: close" to an answer once this many requests were
        # served on the connection; h11 then closes after it.
        self.keep_alive_requests = self.config.keep_alive_max_requests


class BoundedConnection(TCPServer):
    def __init__(
        self,
        app: AppWrapper,
        config: Config,
        context: WorkerContext,
        state: LifespanState,
        stream: trio.SocketStream,
        *,
        limits: ConnectionLimits,
    ) -> None:
        # TCPServer is typed for trio's SSLStream; without TLS it serves the socket stream.
        super().__init__(app, config, context, state, stream)  # type: ignore[arg-type]
        self.limits = limits
        self._opened_at = trio.current_time()
        self._end_of_life = self._opened_at + limits.lifetime_s
        self._first_wait = True
        # The deadline of the wait for the next request's headers; moved when it begins.
        self._waiting: trio.CancelScope | None = None
        self._request_began = False
        self._http: _HTTP11Only | None = None
        self._tasks = trio.CancelScope()

    async def run(self) -> None:
        # hypercorn's TCPServer.run without TLS (a proxy's job) and HTTP/2, and with one
        # scope that ends every task of the connection once its reads are over (hypercorn's
        # TaskGroup cannot be cancelled from inside: its exit never absorbs the Cancelled).
        socket = self.stream.socket
        try:
            client = parse_socket_addr(socket.family, socket.getpeername())
            server = parse_socket_addr(socket.family, socket.getsockname())
            with self._tasks:
                async with TaskGroup() as task_group:
                    self._task_group = task_group
                    self._http = _HTTP11Only(
                        self.app,
                        self.config,
                        self.context,
                        task_group,
                        ConnectionState(self.state),
                        False,
                        client,
                        server,
                        self.protocol_send,
                    )
                    # TCPServer types its protocol as the wrapper; it only calls handle().
                    self.protocol = self._http  # type: ignore[assignment]
                    task_group.spawn(self._retire_at_end_of_life)
                    await self.idle_task.restart(self._task_group, self._idle_timeout)
                    await self._read_data()
                    # The peer left or stopped sending: nothing on this connection can reach
                    # it any more, and waiting timers must not hold its slot.
                    self._tasks.cancel()
        except OSError:
            pass
        finally:
            await self._close()

    async def _read_data(self) -> None:
        while True:
            try:
                with trio.fail_after(self.limits.read_timeout_s or inf):
                    data = await self.stream.receive_some(MAX_RECV)
            except (trio.ClosedResourceError, trio.BrokenResourceError, trio.TooSlowError):
                break
            if data and self._waiting is not None and not self._request_began:
                self._request_began = True
                self._waiting.deadline = min(
                    trio.current_time() + self.limits.header_timeout_s, self._end_of_life
                )
            await self.protocol.handle(RawData(bytes(data)))
            if data == b"":
                break
        await self.protocol.handle(Closed())

    async def _idle_timeout(self) -> None:
        # Runs from the accept, and again after each answer, until a request's headers are
        # complete (hypercorn stops it then).
        now = trio.current_time()
        if self._first_wait:
            self._first_wait = False
            deadline = self._opened_at + self.limits.header_timeout_s
        else:
            deadline = now + self.limits.keep_alive_s
        self._request_began = False
        with trio.CancelScope(deadline=min(deadline, self._end_of_life)) as waiting:
            self._waiting = waiting
            try:
                await self.context.terminated.wait()
            finally:
                self._waiting = None
        with trio.CancelScope(shield=True):
            await self._initiate_server_close()

    async def _retire_at_end_of_life(self) -> None:
        await trio.sleep_until(self._end_of_life)
        if self._http is not None:
            self._http.close_after_answer()

    async def protocol_send(self, event: Event) -> None:
        if isinstance(event, Updated):
            # Also sent from the app's task after an answer: unshielded, quart-trio's cancel
            # stopped the restart of the idle timer, and a kept-alive connection had none.
            with trio.CancelScope(shield=True):
                await super().protocol_send(event)
            return
        if not isinstance(event, RawData):
            await super().protocol_send(event)
            return
        async with self.send_lock:
            try:
                # Shielded like hypercorn's (an answer is never cut by the app's own
                # cancellation), but with a deadline of its own.
                with trio.CancelScope(shield=True) as sending:
                    sending.deadline = trio.current_time() + self.limits.send_timeout_s
                    await self.stream.send_all(event.data)
                stalled = sending.cancelled_caught
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                stalled = True
        if stalled:
            # A send cut halfway leaves the stream unusable: the connection is over, and its
            # reader may be parked until this answer ends (a pipelined request), so every
            # task of the connection goes.
            await trio.aclose_forcefully(self.stream)
            self._tasks.cancel()

    async def _close(self) -> None:
        # Shielded: it runs inside the app's task, which quart-trio cancels as soon as the
        # answer is out, and an unshielded close was cancelled before the socket closed.
        with trio.CancelScope(shield=True):
            await super()._close()
