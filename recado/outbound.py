"""Outbound HTTP: a few single-connection httpx clients, checked out one request at a time.

Used instead of one client with a shared pool: httpcore's shared pool under trio got slower
as concurrency grew (measured for ``bench/send_throughput.py``), while independent clients
scale until the CPU does not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import trio


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
