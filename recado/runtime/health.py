"""The facts of the daemon's health, gathered in one place for the rules that judge them
(``rules/health.py``): ``/readyz``, the systemd watchdog and the dashboard."""

from __future__ import annotations

from recado.clock import iso
from recado.rules.health import RuntimeFacts
from recado.runtime.context import Daemon


def runtime_facts(daemon: Daemon) -> RuntimeFacts:
    fault = daemon.storage.fault
    sup = daemon.supervisor
    return RuntimeFacts(
        storage_open=daemon.storage.is_open,
        storage_fault=(fault.kind, iso(fault.since), fault.detail) if fault else None,
        actor_states={name: status.state for name, status in sup.actors.items()},
        crash_looping=tuple(sup.crash_looping()),
        started=daemon.ready,
    )
