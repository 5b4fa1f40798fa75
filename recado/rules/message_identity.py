"""Which message a new row is, and to whom it goes: the one id rule and the one recipient
rule every place that queues a message goes through (``storage/message_queue.py``).

An id is derived from what planned the message, so planning it again (a repeated event, a
webhook delivered twice, a delivery redone after a crash) finds the row already there. The
recipient is derived from what is known of the client; today that is a phone number (an
event, a flow action) or the WhatsApp id the client wrote from (a button tap).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from recado.rules.phone import wa_id_of


def message_id(kind: str, *key: str) -> str:
    """``job_`` and a hash of the kind and the key parts (their order matters)."""
    text = "|".join((kind, *key))
    return "job_" + hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Recipient:
    wa_id: str  # digits, as Meta names the client
    to_number: str  # E.164, what a request is addressed to


def recipient(*, phone: str | None = None, wa_id: str | None = None) -> Recipient:
    """From an E.164 ``phone`` when known, else from the WhatsApp id the client wrote from."""
    if phone:
        return Recipient(wa_id_of(phone), phone)
    if wa_id:
        return Recipient(wa_id, "+" + wa_id)
    raise ValueError("a message needs a phone number or a WhatsApp id")
