"""What a test or benchmark entry point may add to the daemon it starts (``recado.testing``
sets these; ``recado run`` never does).

- ``operator_routes`` are installed on the operator app after the product's own routes. They
  may write around the product's checks, so a daemon running with them refuses real sends,
  at start and on every reload.
- ``storage_max_batch`` bounds how many writes share one commit (1: one transaction per
  write, to measure what group commit buys).
- ``storage_connection`` is the class of every SQLite connection the storage actor opens
  (e.g. one that records each statement with its parameters, for the query-plan test).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from quart_trio import QuartTrio

from recado.runtime.context import Daemon

RouteInstaller = Callable[[QuartTrio, Daemon], None]


@dataclass(frozen=True)
class DaemonHooks:
    operator_routes: RouteInstaller | None = None
    storage_max_batch: int | None = None
    storage_connection: type[sqlite3.Connection] | None = None

    @property
    def writes_around_checks(self) -> bool:
        return self.operator_routes is not None
