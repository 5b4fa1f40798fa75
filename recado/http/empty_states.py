"""What an operator page with nothing to show says: why it is empty, and, when the reason is
that nothing is configured, the config snippet that would fill it.

"Not configured" (no ``[[services]]``, no ``[[flows]]``, no ``[[sync]]``, no
``[backup] schedule``) and "configured, nothing yet" are told apart from the running config,
so a page never asks for a section the studio already has. The snippets are written with the
real key names of ``recado.config.schema``; tests/test_empty_states.py reads each one with
the real config loader, so a renamed key fails a test instead of teaching a wrong one.
The words themselves are in ``recado.http.texts.empty``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quart import Quart, request

from recado.config.schema import Config
from recado.runtime.context import Daemon

_SERVICE = 'name = "crm"\nbase_url = "https://crm.example.com"\n'

# Config snippets, by page; TOML is code, so it is not in the words' tables.
SNIPPETS: dict[str, str] = {
    "breakers": f"[[services]]\n{_SERVICE}breaker = {{failure_threshold = 5, open_s = 60}}\n",
    "sync": (
        f"[[services]]\n{_SERVICE}\n[[sync]]\n"
        'name = "clients"\nschedule = "0 3 * * *"\n'
        'source = "crm:GET:/clients?since={cursor}"\ntarget = "crm:POST:/clients"\n'
    ),
    "dlq": (
        f"[[services]]\n{_SERVICE}max_attempts = 5\n\n[[flows]]\n"
        'event = "appointment.created"\nactions = ["http:crm:POST:/appointments"]\n'
    ),
    "deliveries": (
        f"[[services]]\n{_SERVICE}\n[[flows]]\n"
        'event = "{event}"\nactions = ["http:crm:POST:/events"]\n'
    ),
    "backups": '[backup]\nschedule = "0 3 * * *"\nkeep = 7\n',
}

Configured = Callable[[Config, str | None], bool]

# Whether the section a page's rows come from is in the config; pages missing here have
# nothing to configure (alerts, audit, ...): when empty, they only say when rows appear.
CONFIGURED: dict[str, Configured] = {
    "breakers": lambda cfg, _: bool(cfg.services),
    "sync": lambda cfg, _: bool(cfg.sync),
    "dlq": lambda cfg, _: bool(cfg.flows),
    "deliveries": lambda cfg, event: any(f.event == event for f in cfg.flows),
    "backups": lambda cfg, _: bool(cfg.backup.schedule),
}

# Query parameters that page through a list; any other one filters it.
_PAGING = frozenset({"page", "per_page", "before", "all"})


@dataclass(frozen=True)
class EmptyState:
    page: str
    configured: bool
    filtered: bool
    snippet: str  # "" when the page is configured or has nothing to configure

    @property
    def key(self) -> str:
        """The words' key: why the page is empty."""
        if self.filtered:
            return "empty.filtered"
        return f"empty.{self.page}.{'nothing_yet' if self.configured else 'not_configured'}"

    @property
    def todo_key(self) -> str:
        """The words before the snippet: a service's snippet has an address to replace."""
        return "empty.todo_service" if "base_url" in self.snippet else "empty.todo"


def empty_state(
    cfg: Config, page: str, event: str | None = None, filtered: bool = False
) -> EmptyState:
    check = CONFIGURED.get(page)
    configured = True if check is None else check(cfg, event)
    snippet = "" if configured else SNIPPETS[page].replace("{event}", event or "")
    return EmptyState(page=page, configured=configured, filtered=filtered, snippet=snippet)


def is_filtered() -> bool:
    """The request narrows its list (state, day, phone, search ...)."""
    return any(value for key, value in request.args.items() if key not in _PAGING)


def install_empty_states(app: Quart, daemon: Daemon) -> None:
    @app.context_processor
    async def inject() -> dict[str, Any]:
        def state(page: str, event: str | None = None, filters: bool = False) -> EmptyState:
            # Read at render time: a reload that adds [[services]] shows at once.
            return empty_state(daemon.config, page, event, filters and is_filtered())

        return {"empty_state": state}
