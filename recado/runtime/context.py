"""The daemon's shared state, handed to the HTTP apps and actors.

Holds references, not policy, and names no actor: the config in force, the storage actor,
the supervisor, the clock, the listeners and the shutdown event; and what the parts share:
the named wake-ups, the breaker board, the operator commands (answered by whichever actor
the daemon registered) and the facts an actor found that pages show (sending paused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import trio

from recado.clock import Clock
from recado.config import Config
from recado.rules.connection_cap import CapAlertPolicy
from recado.rules.flows import FlowTable
from recado.rules.whatsapp_faults import RefusalWatch, forged_watch, too_large_watch
from recado.runtime.breakers import BreakerBoard
from recado.runtime.commands import Commands
from recado.runtime.listeners import Listener
from recado.runtime.metrics import Metrics
from recado.runtime.supervisor import Supervisor
from recado.runtime.wakeup import Consumer, Wakeups
from recado.runtime.whatsapp_credentials import Credentials, choose
from recado.storage.actor import Storage


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
    wakeups: Wakeups
    breakers: BreakerBoard
    test_hooks: bool = False
    stopping: trio.Event = field(default_factory=trio.Event)
    ready: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    commands: Commands = field(default_factory=Commands)
    # [[flows]] compiled once at start (flows are not reloadable).
    flows: FlowTable = field(default_factory=dict)
    # Set from the operator pages or CLI, persisted; either this or the config turns it on.
    kill_switch_override: bool = False
    # Meta refused the token: the pause as persisted (settings "sending_paused"), or None.
    # Set by the sender; read by the dashboard.
    sending_paused: dict[str, Any] | None = None
    # One reload at a time (SIGHUP and POST /config/reload may arrive together).
    reload_lock: trio.Lock = field(default_factory=trio.Lock)
    # The active WhatsApp connection's decrypted token and number, or None; set by whoever
    # answers daemon.commands.connection.
    connection_credentials: Credentials | None = None
    # Each listener's connection-cap policy, by listener name (the dashboard's "cap hit").
    connection_caps: dict[str, CapAlertPolicy] = field(default_factory=dict)
    # Webhooks refused for a bad signature / a body over the limit: memory only, O(1) per
    # request, read by the incident monitor's standing alerts (rules/whatsapp_faults.py).
    forged_webhooks: RefusalWatch = field(default_factory=forged_watch)
    oversized_webhooks: RefusalWatch = field(default_factory=too_large_watch)
    # Meta refused a send for its template's state (its webhook may never have come): the
    # template sync reads the templates again at once (trigger "send_refused").
    templates_doubted: bool = False
    # A send did not end accepted: the incident monitor checks the standing alerts at once.
    send_trouble: bool = False
    # The problems of the last reload, when it was refused (the running config was kept);
    # None once a reload applies. Set by the reload; read by the alerts and the dashboard.
    reload_refused: list[str] | None = None

    @property
    def kill_switch_on(self) -> bool:
        return self.kill_switch_override or self.config.whatsapp.kill_switch

    def whatsapp_credentials(self) -> Credentials | None:
        """The token and number to send with: the active connection's, else the config's."""
        return choose(self.connection_credentials, self.config.whatsapp)

    def after_commit(self, *consumers: Consumer) -> None:
        """Work for ``consumers`` was committed: wake them (whoever listens). The incident
        monitor is woken by every commit announced here: any write may have raised an alert
        whose event is due."""
        self.wakeups.poke(*consumers, "incidents")

    @property
    def data_dir(self) -> Path:
        return self.config.daemon.data_path
