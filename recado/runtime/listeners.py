"""The daemon's listening sockets, bound once at start and kept across restarts of the HTTP
server that serves them (a port in use is a startup error naming its config key)."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass, field

from hypercorn.utils import repr_socket_addr

from recado.config.listen import parse_listen
from recado.rules.flows import ParseError

# Connections waiting for accept(); a burst beyond this is refused by the kernel.
BACKLOG = 512


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a connection may take at each step (docs/reference.md §1.2)."""

    # a request line and headers, from the request's first byte (the accept for the first)
    header_timeout_s: float = 10
    # waiting idle for the next request after an answer
    keep_alive_s: float = 15
    # after this, the connection closes after its answer in flight
    lifetime_s: float = 300
    # one write of an answer waiting for a client that stopped reading
    send_timeout_s: float = 30
    # one read of a request in flight (None: unbounded)
    read_timeout_s: float | None = None


class BindError(Exception):
    """A listening address cannot be bound; the message names the config key."""


@dataclass
class Listener:
    """One listening address, bound once at start. ``bound`` holds the real address, so the
    runtime file and the CLI see the port the kernel picked when the config asked for 0."""

    name: str
    bind: str
    max_connections: int = 64
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    bound: str | None = None
    sockets: list[socket.socket] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"http.{self.name}_listen"

    @property
    def url(self) -> str | None:
        return f"http://{self.bound}" if self.bound else None

    def open(self) -> None:
        """Bind and listen, or raise BindError with one line naming the key and address."""
        try:
            host, port = parse_listen(self.bind)
        except ParseError as exc:
            raise BindError(f"{self.key}: {exc}") from None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(BACKLOG)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise BindError(f"{self.key}: {self.bind} is already in use") from None
            reason = exc.strerror or str(exc)
            raise BindError(f"{self.key}: {self.bind} cannot be bound ({reason})") from None
        self.sockets = [sock]
        self.bound = repr_socket_addr(sock.family, sock.getsockname())

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets = []
