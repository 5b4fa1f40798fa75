"""What an operator may ask of the running actors, as small typed protocols.

The HTTP pages and the CLI ask through these (``daemon.commands``), never through an actor:
the daemon registers the actor that answers each one when it builds the actors, before any
listener opens. Until then (or in a context built without actors, as in a unit test) the
defaults answer as a daemon with no such actor would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from recado.runtime.connection_commands import ConnectionCommands, NoConnection
from recado.storage.templates import TemplateSync


@dataclass
class ReplayResult:
    bodies: int = 0
    failed: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"bodies": self.bodies, "failed": self.failed}


class WebhookCommands(Protocol):
    async def drain(self) -> int:
        """Apply every pending inbox body now; how many were applied or failed."""
        ...

    async def replay(self, since: datetime | None, only_id: int | None) -> ReplayResult:
        """Re-run stored bodies (all, since a time, or one id)."""
        ...


class SyncCommands(Protocol):
    def has_job(self, name: str) -> bool: ...

    def request_run(self, name: str, source_ip: str) -> str:
        """``started``, ``running`` (one is in progress) or ``unknown``; the run is audited
        as asked from ``source_ip`` when it starts."""
        ...

    def next_fire(self, name: str) -> datetime | None: ...

    def running(self, name: str) -> bool: ...

    async def retry_item(self, name: str, failure_id: int, ip: str) -> dict[str, Any]:
        """Post a set-aside item again; ``outcome`` says what came of it."""
        ...


class TemplateCommands(Protocol):
    def configured(self) -> bool:
        """Whether the WABA's templates can be read (a token and a WABA id)."""
        ...

    def next_sync_at(self) -> datetime | None: ...

    async def sync_now(self, source_ip: str) -> TemplateSync | None:
        """Read the templates now (audited); None when they cannot be read (not configured)."""
        ...


class NoWebhookProcessor:
    """No processor registered: asking it is a bug of the caller, said loudly."""

    async def drain(self) -> int:
        raise RuntimeError("no webhook processor is registered")

    async def replay(self, since: datetime | None, only_id: int | None) -> ReplayResult:
        raise RuntimeError("no webhook processor is registered")


class NoSyncJobs:
    """No sync runner registered: no job is known, none runs."""

    def has_job(self, name: str) -> bool:
        return False

    def request_run(self, name: str, source_ip: str) -> str:
        return "unknown"

    def next_fire(self, name: str) -> datetime | None:
        return None

    def running(self, name: str) -> bool:
        return False

    async def retry_item(self, name: str, failure_id: int, ip: str) -> dict[str, Any]:
        return {"outcome": "not_found"}


class NoTemplateSync:
    """No template sync registered: nothing is read, nothing is known."""

    def configured(self) -> bool:
        return False

    def next_sync_at(self) -> datetime | None:
        return None

    async def sync_now(self, source_ip: str) -> TemplateSync | None:
        return None


@dataclass
class Commands:
    webhooks: WebhookCommands = field(default_factory=NoWebhookProcessor)
    sync: SyncCommands = field(default_factory=NoSyncJobs)
    connection: ConnectionCommands = field(default_factory=NoConnection)
    templates: TemplateCommands = field(default_factory=NoTemplateSync)
