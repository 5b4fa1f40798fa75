"""When a listener's connection cap raises an operator alert, and when the alert is over.

An alert goes up when the cap refuses a connection, at most once per ``ALERT_EVERY`` per
listener (a flood refuses thousands a second); it is resolved once the open connections fall
under half the cap, so a count hovering at the cap does not raise and resolve in a loop.
Times are monotonic seconds: a wall-clock jump neither silences nor repeats the alert.
"""

from __future__ import annotations

from dataclasses import dataclass

ALERT_EVERY_S = 600.0
CODE = "connection_cap"

_NAMES_PT = {"public": "público", "operator": "do operador"}


@dataclass
class CapAlertPolicy:
    cap: int
    raised_at: float | None = None
    open: bool = False

    def on_refused(self, now: float) -> bool:
        """A connection was refused at ``now``: True if an alert must be raised."""
        if self.raised_at is not None and now - self.raised_at < ALERT_EVERY_S:
            return False
        self.raised_at = now
        self.open = True
        return True

    def on_level(self, open_connections: int) -> bool:
        """A connection ended, ``open_connections`` remain: True if the alert is over."""
        if self.open and open_connections < self.cap / 2:
            self.open = False
            return True
        return False


def alert_text(listener: str, cap: int) -> tuple[str, str]:
    """(pt-BR, en) text of the alert for ``listener`` at its ``cap``."""
    key = f"http.{listener}_max_connections"
    pt = (
        f"O endereço {_NAMES_PT.get(listener, listener)} chegou ao limite de {cap} conexões "
        f"abertas: novas conexões recebem 503 até algumas terminarem ({key})."
    )
    en = (
        f"The {listener} listener reached its cap of {cap} open connections: new connections "
        f"get 503 until some end ({key})."
    )
    return pt, en
