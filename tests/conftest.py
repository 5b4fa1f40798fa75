from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import trio
from hypothesis import settings

from recado.clock import Clock
from recado.config import load_config
from recado.daemon.hooks import DaemonHooks
from recado.daemon.main import ActorFactory, run_daemon
from recado.runtime.context import Daemon
from recado.testing.daemon_process import write_config
from recado.testing.test_routes import TEST_HOOKS

StartDaemon = Callable[..., "asynccontextmanager[Daemon]"]

# No per-example deadline: a deadline is a timing assertion, and on a loaded 2-core machine
# (CI, two test workers) a correct example can take 300 ms. Speed lives in bench/.
settings.register_profile("recado", deadline=None)
settings.load_profile("recado")


@asynccontextmanager
async def running_daemon(
    directory: Path,
    extra_toml: str = "",
    *,
    extra_actors: ActorFactory | None = None,
    test_hooks: bool = True,
    mode: str = "dry_run",
    clock: Clock | None = None,
    http_toml: str = "",
    hooks: DaemonHooks | None = None,
) -> AsyncIterator[Daemon]:
    """The real daemon in this trio run, on loopback ports picked by the kernel (``hooks``,
    when given, instead of the test routes)."""
    path = write_config(directory, extra_toml, mode=mode, http_toml=http_toml)
    cfg = load_config(path)
    async with trio.open_nursery() as nursery:
        daemon: Daemon = await nursery.start(
            lambda task_status: run_daemon(
                cfg,
                path,
                hooks=hooks or (TEST_HOOKS if test_hooks else None),
                install_signals=False,
                clock=clock,
                extra_actors=extra_actors,
                task_status=task_status,
            )
        )
        try:
            yield daemon
        finally:
            daemon.stopping.set()


@pytest.fixture
def daemon_dir(tmp_path: Path) -> Path:
    return tmp_path / "d"
