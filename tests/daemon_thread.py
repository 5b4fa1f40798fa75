"""The real daemon on its own trio loop in a thread, for tests that drive it from plain
(synchronous) code: hypothesis, schemathesis."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import trio

from recado.runtime.context import Daemon
from tests.conftest import running_daemon


def daemon_in_a_thread(
    directory: Path, extra_toml: str = "", **options: object
) -> Iterator[Daemon]:
    """Yields the started daemon once; stops it when the generator is closed."""
    started: queue.Queue[Daemon | BaseException] = queue.Queue()
    stop = threading.Event()

    async def main() -> None:
        try:
            async with running_daemon(directory, extra_toml, **options) as daemon:  # type: ignore[arg-type]
                started.put(daemon)
                await trio.to_thread.run_sync(stop.wait)
        except BaseException as exc:
            started.put(exc)
            raise

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    first = started.get(timeout=60)
    if isinstance(first, BaseException):
        raise first
    try:
        yield first
    finally:
        stop.set()
        thread.join(timeout=60)
