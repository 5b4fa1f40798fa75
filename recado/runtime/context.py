"""The daemon's shared state, handed to the HTTP apps and actors.

Holds references, not policy: the config in force, the storage actor, the supervisor, the
clock, the listeners and the shutdown event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from recado.clock import Clock
from recado.config import Config
from recado.rules.flows import FlowTable
from recado.runtime.listeners import Listener
from recado.runtime.metrics import Metrics
from recado.runtime.supervisor import Supervisor
from recado.storage.actor import Storage

if TYPE_CHECKING:
    from recado.actors.delivery_worker import DeliveryWorker
    from recado.actors.sender import Sender
    from recado.actors.sync_runner import SyncRunner
    from recado.actors.webhook_processor import WebhookProcessor


@dataclass
class Daemon:
    config: Config
    config_path: Path
    storage: Storage
    supervisor: Supervisor
    clock: Clock
    api_key: str
    secret_key: bytes
    started_at: datetime
    listeners: dict[str, Listener]
    test_hooks: bool = False
    stopping: trio.Event = field(default_factory=trio.Event)
    ready: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    webhooks: WebhookProcessor | None = None
    sender: Sender | None = None
    hub: DeliveryWorker | None = None
    sync: SyncRunner | None = None
    # [[flows]] compiled once at start (flows are not reloadable).
    flows: FlowTable = field(default_factory=dict)
    # Set from the operator pages or CLI, persisted; either this or the config turns it on.
    kill_switch_override: bool = False
    # One reload at a time (SIGHUP and POST /config/reload may arrive together).
    reload_lock: trio.Lock = field(default_factory=trio.Lock)

    @property
    def kill_switch_on(self) -> bool:
        return self.kill_switch_override or self.config.whatsapp.kill_switch

    def poke_hub(self) -> None:
        if self.hub is not None:
            self.hub.poke()

    @property
    def data_dir(self) -> Path:
        return self.config.daemon.data_path
