"""The 24-hour customer-service window (docs/reference.md §7, docs/whatsapp-notes.md §6).

Open ⇔ ``now − last_inbound < 24 h``, where ``last_inbound`` is the newest inbound message's
own timestamp (Meta's receipt time), never the arrival time of a retried webhook. Exactly
24 h is closed. Only client messages move ``last_inbound`` (any type: text, buttons,
reactions, media); echoes of the studio's own app (``smb_message_echoes``) and ``history``
payloads never do, so old history cannot reopen the window. That rule is enforced where rows
are written: only inbound messages call ``advance_inbound``.

Meta's stamp is trusted only up to the moment the daemon received the body (plus a small
allowance for the two clocks disagreeing): a stamp in the future (a forged or broken peer,
2099-12-31 is inside the accepted range) would otherwise keep the window open for decades,
and a send the window forbids would go out. ``window_start`` is that clamp.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
# How far Meta's clock may run ahead of ours before its stamp stops being believed.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class Ledger:
    wa_id: str
    last_inbound_at: datetime | None = None
    last_outbound_at: datetime | None = None
    inbound_count: int = 0
    outbound_count: int = 0


@dataclass(frozen=True)
class WindowState:
    open: bool
    reason: str  # open | window_closed | no_inbound
    last_inbound_at: datetime | None
    expires_at: datetime | None


def window_state(ledger: Ledger | None, now: datetime) -> WindowState:
    if ledger is None or ledger.last_inbound_at is None:
        return WindowState(False, "no_inbound", None, None)
    expires = ledger.last_inbound_at + WINDOW
    if now < expires:
        return WindowState(True, "open", ledger.last_inbound_at, expires)
    return WindowState(False, "window_closed", ledger.last_inbound_at, expires)


def window_start(stamped: datetime, received: datetime) -> datetime:
    """The instant an inbound message opens the window from: Meta's stamp, never later than
    the moment the daemon received it plus ``CLOCK_SKEW``."""
    return min(stamped, received + CLOCK_SKEW)


def advance_inbound(ledger: Ledger, ts: datetime) -> Ledger:
    """The ledger after an inbound message stamped ``ts``: last_inbound only moves forward."""
    newest = ts if ledger.last_inbound_at is None else max(ledger.last_inbound_at, ts)
    return replace(ledger, last_inbound_at=newest, inbound_count=ledger.inbound_count + 1)
