"""When a listener's connection cap raises an operator alert, logs, and shows on the
dashboard, and when the alert is over.

A saturation raises an alert when the cap refuses a connection and no alert of the listener
is open; the alert is resolved once the open connections fall under half the cap, so a count
hovering at the cap does not raise and resolve in a loop, and the next saturation after that
raises a new one. Each saturation logs a line at once and, while it lasts, one line per
``LOG_EVERY_S`` with the connections refused since (a flood refuses thousands a second). The
dashboard says the cap was hit while the last refusal is under ``RECENT_S`` old.
Times are monotonic seconds: a wall-clock jump neither silences nor repeats anything.
"""

from __future__ import annotations

from dataclasses import dataclass

LOG_EVERY_S = 60.0
RECENT_S = 600.0
CODE = "connection_cap"

_NAMES_PT = {"public": "público", "operator": "do operador"}


@dataclass(frozen=True)
class Refusal:
    """What one refused connection calls for."""

    raise_alert: bool
    # Connections refused since the last log line, this one included; 0: no line now.
    log_refused: int


@dataclass
class CapAlertPolicy:
    cap: int
    open: bool = False
    last_refused_at: float | None = None
    _logged_at: float | None = None
    _unlogged: int = 0

    def on_refused(self, now: float) -> Refusal:
        """A connection was refused at ``now``."""
        self.last_refused_at = now
        self._unlogged += 1
        raise_alert = not self.open
        self.open = True
        log_refused = 0
        if raise_alert or self._logged_at is None or now - self._logged_at >= LOG_EVERY_S:
            log_refused, self._unlogged, self._logged_at = self._unlogged, 0, now
        return Refusal(raise_alert, log_refused)

    def on_level(self, open_connections: int) -> bool:
        """A connection ended, ``open_connections`` remain: True if the alert is over."""
        if self.open and open_connections < self.cap / 2:
            self.open = False
            return True
        return False

    def hit_recently(self, now: float) -> bool:
        return self.last_refused_at is not None and now - self.last_refused_at < RECENT_S


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


def recent_hit_text(listener: str, cap: int) -> tuple[str, str]:
    """(pt-BR, en) dashboard reason: the cap of ``listener`` refused connections lately."""
    key = f"http.{listener}_max_connections"
    minutes = int(RECENT_S // 60)
    pt = (
        f"O endereço {_NAMES_PT.get(listener, listener)} atingiu o limite de {cap} conexões "
        f"abertas nos últimos {minutes} minutos e recusou conexões com 503 ({key})."
    )
    en = (
        f"The {listener} listener hit its cap of {cap} open connections in the last "
        f"{minutes} minutes and refused connections with 503 ({key})."
    )
    return pt, en
