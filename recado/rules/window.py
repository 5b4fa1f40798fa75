"""The 24-hour customer-service window (docs/reference.md §7, docs/whatsapp-notes.md §6).

Open ⇔ ``now − last_inbound < 24 h``, where ``last_inbound`` is the newest inbound message's
own timestamp (Meta's receipt time), never the arrival time of a retried webhook. Exactly
24 h is closed. Only client messages move ``last_inbound`` (any type: text, buttons,
reactions, media); echoes of the studio's own app (``smb_message_echoes``) and ``history``
payloads never do, so old history cannot reopen the window. That rule is enforced where rows
are written: only inbound messages call ``advance_inbound``, and only those that
``opens_window`` says are the client writing.

Meta's stamp is trusted only up to the moment the daemon received the body (plus a small
allowance for the two clocks disagreeing): a stamp in the future (a forged or broken peer,
2099-12-31 is inside the accepted range) would otherwise keep the window open for decades,
and a send the window forbids would go out. ``window_start`` is that clamp.

The ledger is the customer's (``rules/identity.py``), whatever ids they wrote from. Two points
Meta leaves open are decided here (docs/reference.md §7):

- a system message (``user_changed_number``, ``user_changed_user_id``) neither opens nor
  refreshes the window: it is Meta telling of a change, not the client writing;
- the window carries over a BSUID change and a phone change: the person is the same, so
  their ledger moves to the customer the change names (``merge_ledgers``) and stays open
  until 24 h after their last message. Meta enforces its own window still: a 131047 inside
  ours skips the message as ever.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
# How far Meta's clock may run ahead of ours before its stamp stops being believed.
CLOCK_SKEW = timedelta(minutes=2)


# Inbound types that are not the client writing (Meta's notices of a change on their side).
NOT_FROM_CLIENT = frozenset({"system"})


@dataclass(frozen=True)
class Ledger:
    customer_id: int
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


def advance_inbound(ledger: Ledger, ts: datetime, opens: bool = True) -> Ledger:
    """The ledger after an inbound message stamped ``ts``: last_inbound only moves forward,
    and only for a message that ``opens`` the window (``opens_window``); every inbound
    message is counted."""
    if not opens:
        return replace(ledger, inbound_count=ledger.inbound_count + 1)
    newest = ts if ledger.last_inbound_at is None else max(ledger.last_inbound_at, ts)
    return replace(ledger, last_inbound_at=newest, inbound_count=ledger.inbound_count + 1)


def opens_window(message_type: str) -> bool:
    """Whether an inbound message of this type is the client writing (and so moves the
    window): every type but Meta's system notices."""
    return message_type not in NOT_FROM_CLIENT


def merge_ledgers(kept: Ledger, merged: Ledger) -> Ledger:
    """One person's ledger from two customers found to be them (a tap linking a BSUID to a
    phone, a BSUID or phone change): the newest of each time, the counts added."""
    return Ledger(
        kept.customer_id,
        last_inbound_at=_newest(kept.last_inbound_at, merged.last_inbound_at),
        last_outbound_at=_newest(kept.last_outbound_at, merged.last_outbound_at),
        inbound_count=kept.inbound_count + merged.inbound_count,
        outbound_count=kept.outbound_count + merged.outbound_count,
    )


def _newest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)
