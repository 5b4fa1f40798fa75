"""Serving a quart-trio app with hypercorn inside our own nursery, as a supervised actor."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

import hypercorn.trio
import trio
from hypercorn.config import Config as HypercornConfig


@dataclass
class Listener:
    """One listening address. After the first bind ``bound`` holds the real port, so a
    restarted server comes back on the same port even when the config asked for port 0."""

    name: str
    bind: str
    bound: str | None = None

    @property
    def url(self) -> str | None:
        return f"http://{self.bound}" if self.bound else None


async def serve_http(
    app: Any,
    listener: Listener,
    shutdown: trio.Event,
    grace_s: float,
    *,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    config = HypercornConfig()
    config.bind = [listener.bound or listener.bind]
    config.graceful_timeout = grace_s
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    config.keep_alive_timeout = 75
    async with trio.open_nursery() as nursery:
        binds: list[str] = await nursery.start(
            partial(hypercorn.trio.serve, app, config, shutdown_trigger=shutdown.wait)
        )
        listener.bound = binds[0].removeprefix("http://")
        task_status.started(listener.bound)
