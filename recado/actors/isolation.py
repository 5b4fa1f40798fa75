"""What an actor does when processing one record raises: the record's fault, or storage's.

A record that makes processing raise is set aside with a reason (failed, dead, kept aside)
and the actor goes on with the others; the supervisor's restart is for bugs in the loop,
never for data. A storage fault (disk full, read-only, locked, not running) is nobody's
record's fault: the record is left as it is and the actor waits ``STORAGE_RETRY_S`` before
trying again, so a full disk does not turn every due record into a dead one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

from recado.logs import EventLogger
from recado.storage.faults import StorageFault, fault_kind

T = TypeVar("T")

# Long enough not to spin against a broken disk, short enough that work resumes promptly
# once space (or the lock) comes back.
STORAGE_RETRY_S = 2.0

_DETAIL_MAX = 300


def is_storage_fault(exc: BaseException) -> bool:
    """A StorageFault from a write, or an SQLite error of a read that names the storage."""
    if isinstance(exc, StorageFault):
        return True
    return isinstance(exc, sqlite3.Error) and fault_kind(exc) is not None


def describe(exc: BaseException) -> str:
    """``Type: message``, bounded, for a reason an operator reads."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


async def until_stored(step: Callable[[], Awaitable[T]], log: EventLogger, event: str) -> T:
    """``step`` run again after each storage fault (logged as ``event``) until it goes
    through; any other error is raised."""
    while True:
        try:
            return await step()
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            log.warning(event, error=describe(exc))
            await trio.sleep(STORAGE_RETRY_S)
