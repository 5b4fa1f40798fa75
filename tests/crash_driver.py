"""Driving the real daemon with concurrent requests until it is ``kill -9``ed mid-flight."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import trio

from recado.testing.daemon_process import DaemonProcess

# build(i) -> (key acknowledged by a 200, path, keyword arguments of client.post)
RequestBuilder = Callable[[int], tuple[str, str, dict[str, Any]]]


async def post_until_killed(
    daemon: DaemonProcess,
    base_url: str,
    build: RequestBuilder,
    *,
    total: int,
    concurrency: int,
    kill_after: int,
    acked_statuses: tuple[int, ...] = (200,),
) -> set[str]:
    """Post requests 0..total-1 with ``concurrency`` in flight; once ``kill_after`` were
    acknowledged, kill the daemon while the others are still in flight. Returns the keys
    that got an acknowledging status (200 unless told)."""
    acked: set[str] = set()
    pending = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in pending:
            key, path, kwargs = build(i)
            try:
                response = await client.post(path, **kwargs)
            except httpx.HTTPError:
                return
            if response.status_code in acked_statuses:
                acked.add(key)
            if len(acked) >= kill_after and daemon.proc and daemon.proc.poll() is None:
                daemon.kill()
                return

    limits = httpx.Limits(max_connections=concurrency)
    async with (
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10) as client,
        trio.open_nursery() as nursery,
    ):
        for _ in range(concurrency):
            nursery.start_soon(worker, client)
    daemon.kill()
    return acked
