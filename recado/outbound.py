"""Outbound HTTP: a few single-connection httpx clients, checked out one request at a time.

Used instead of one client with a shared pool: httpcore's shared pool under trio got slower
as concurrency grew (measured for ``bench/send_throughput.py``), while independent clients
scale until the CPU does not.

The clients share one TLS context: httpx builds one per client otherwise (loading certifi's
bundle each time, ~25 ms of CPU), and the daemon makes eight clients per service in two
actors before it is ready, which was most of the time the actors took to start.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import httpx
import trio


@cache
def tls_context() -> ssl.SSLContext:
    """The context httpx would make for ``verify=True`` (certifi, or SSL_CERT_FILE/DIR)."""
    return httpx.create_ssl_context()


class ClientPool:
    def __init__(
        self,
        base_url: str,
        connections: int,
        timeout: httpx.Timeout,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._clients = [
            httpx.AsyncClient(
                base_url=base_url.rstrip("/"),
                headers=headers,
                timeout=timeout,
                verify=tls_context(),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
            for _ in range(connections)
        ]
        self._give, self._take = trio.open_memory_channel[httpx.AsyncClient](connections)
        for client in self._clients:
            self._give.send_nowait(client)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """A client of one's own until the block ends (waits while all are busy)."""
        client = await self._take.receive()
        try:
            yield client
        finally:
            self._give.send_nowait(client)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
