"""Serving a quart-trio app with hypercorn inside our own nursery, as a supervised actor.

The listening sockets are bound once, at start, before anything is supervised (a port in use
is a startup error, not a crash loop), and live on the ``Listener`` across restarts of its
HTTP server. The serve loop mirrors ``hypercorn.trio.run.worker_serve`` with one change: each
accepted connection passes a ``ConnectionGate`` first, so a listener never holds more than
its configured number of connections (each one a file descriptor), and one over the cap is
answered 503 without reaching the app.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio.lifespan import Lifespan
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import ConnectionState
from hypercorn.utils import ShutdownError, raise_shutdown, wrap_app

from recado.http.connection_deadlines import BoundedConnection
from recado.http.hypercorn_errors import install_json_error_responses
from recado.logs import get_logger
from recado.runtime.listeners import Listener
from recado.runtime.metrics import Metrics

log = get_logger("http")

install_json_error_responses()

# A refused client gets this long to read the 503 before the socket goes (closing with its
# request unread would send a reset that can wipe the 503 out of the client's buffer).
REFUSE_LINGER_S = 1.0
RETRY_AFTER_S = 5
# accept(2) errors that mean "out of descriptors or memory for now" (trio's own list).
_ACCEPT_CAPACITY_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS}


class CapWatcher(Protocol):
    """Told when the gate refuses a connection and how many stay open after one ends."""

    async def refused(self) -> None: ...

    async def level(self, open_connections: int) -> None: ...


class ConnectionGate:
    """Counts a listener's open connections; admits up to ``cap``, answers the rest 503."""

    def __init__(
        self, listener: str, cap: int, metrics: Metrics, watcher: CapWatcher | None = None
    ) -> None:
        self.listener = listener
        self.cap = cap
        self.open = 0
        self.refusing = 0
        self._gauge = metrics.http_connections.labels(listener)
        self._refused = metrics.http_refused.labels(listener)
        self._watcher = watcher
        self._gauge.set(0)
        body = json.dumps(
            {
                "error": "too_many_connections",
                "detail": f"the {listener} listener is at its limit of {cap} open "
                f"connections; retry in {RETRY_AFTER_S} seconds",
            }
        ).encode()
        self.refusal = (
            b"HTTP/1.1 503 Service Unavailable\r\n"
            b"content-type: application/json\r\n"
            b"retry-after: %d\r\n"
            b"connection: close\r\n"
            b"content-length: %d\r\n\r\n" % (RETRY_AFTER_S, len(body))
        ) + body

    async def handle(
        self, stream: trio.SocketStream, serve: Callable[[trio.SocketStream], Awaitable[None]]
    ) -> None:
        if self.open >= self.cap:
            self._refused.inc()
            if self._watcher is not None:
                # Before the 503, so the alert is on the dashboard by the time anyone
                # looks; bounded, so a stuck storage cannot hold refusals open.
                with trio.move_on_after(REFUSE_LINGER_S):
                    await self._tell(self._watcher.refused)
            await self._refuse(stream)
            return
        self.open += 1
        self._gauge.set(self.open)
        try:
            await serve(stream)
        finally:
            self.open -= 1
            self._gauge.set(self.open)
            if self._watcher is not None:
                await self._tell(self._watcher.level, self.open)

    async def _refuse(self, stream: trio.SocketStream) -> None:
        self.refusing += 1
        try:
            with trio.move_on_after(REFUSE_LINGER_S):
                await stream.send_all(self.refusal)
                await stream.send_eof()
                # Lingering holds a descriptor too: only up to ``cap`` refusals linger at
                # once, the others are closed as soon as the 503 is written.
                if self.refusing <= self.cap:
                    while await stream.receive_some(65536):
                        pass
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        finally:
            self.refusing -= 1

    async def _tell(self, call: Callable[..., Awaitable[None]], *args: Any) -> None:
        try:
            await call(*args)
        except Exception:
            # An alert that cannot be written (storage fault) must not take the listener
            # down with it; the metric still counts.
            log.exception("connection_cap_alert_failed", listener=self.listener)


def hypercorn_config(grace_s: float) -> HypercornConfig:
    # Connection timeouts are not hypercorn's here: BoundedConnection keeps its own.
    config = HypercornConfig()
    config.graceful_timeout = grace_s
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    return config


async def serve_http(
    app: Any,
    listener: Listener,
    shutdown: trio.Event,
    grace_s: float,
    gate: ConnectionGate,
    *,
    task_status: trio.TaskStatus[str | None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """hypercorn's ``worker_serve`` on the listener's own sockets, each connection gated."""
    config = hypercorn_config(grace_s)
    asgi = wrap_app(app, config.wsgi_max_body_size, "asgi")
    lifespan_state: dict[str, Any] = {}
    lifespan = Lifespan(asgi, config, lifespan_state)
    context = WorkerContext(None)
    state = ConnectionState(lifespan_state.copy())

    async def serve(stream: trio.SocketStream) -> None:
        await BoundedConnection(asgi, config, context, state, stream, limits=listener.limits)

    async def handle(stream: trio.SocketStream) -> None:
        try:
            await gate.handle(stream, serve)
        finally:
            await trio.aclose_forcefully(stream)

    async with trio.open_nursery() as lifespan_nursery:
        await lifespan_nursery.start(lifespan.handle_lifespan)
        await lifespan.wait_for_startup()
        async with trio.open_nursery() as server_nursery:
            # A duplicate of each socket: closing it when this server stops (or crashes and
            # is restarted) leaves the bound socket, and the connections queued on it, alone.
            accepting = [trio.socket.from_stdlib_socket(s.dup()) for s in listener.sockets]
            task_status.started(listener.bound)
            try:
                async with trio.open_nursery(strict_exception_groups=True) as nursery:
                    nursery.start_soon(raise_shutdown, shutdown.wait)
                    nursery.start_soon(raise_shutdown, context.terminate.wait)
                    for sock in accepting:
                        nursery.start_soon(_accept_loop, sock, server_nursery, handle)
            except BaseExceptionGroup as error:
                _, other_errors = error.split((ShutdownError, KeyboardInterrupt))
                if other_errors is not None:
                    raise other_errors from None
            finally:
                for sock in accepting:
                    sock.close()
                if shutdown.is_set():
                    # Draining: new connections are refused by the kernel from now on.
                    listener.close()
                await context.terminated.set()
                server_nursery.cancel_scope.deadline = trio.current_time() + grace_s
        await lifespan.wait_for_shutdown()
        lifespan_nursery.cancel_scope.cancel()


async def _accept_loop(
    sock: trio.socket.SocketType,
    nursery: trio.Nursery,
    handle: Callable[[trio.SocketStream], Awaitable[None]],
) -> None:
    while True:
        try:
            conn, _ = await sock.accept()
        except OSError as exc:
            if exc.errno not in _ACCEPT_CAPACITY_ERRNOS:
                raise
            log.error("accept_failed", error=os.strerror(exc.errno), retry_in_s=0.1)
            await trio.sleep(0.1)
            continue
        nursery.start_soon(handle, trio.SocketStream(conn))
