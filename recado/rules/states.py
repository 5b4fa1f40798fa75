"""Every state a record can be in, each set defined once; code that names a state imports it
from here (the database's CHECK constraints and the docs say the same)."""

from __future__ import annotations

# Messages (jobs): queued → sending → sent → delivered → read (→ played), and side states.
QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
DELIVERED = "delivered"
READ = "read"
PLAYED = "played"
FAILED = "failed"
SKIPPED = "skipped"
DEAD = "dead"
UNCERTAIN = "uncertain"
CANCELED = "canceled"
MESSAGE_FLOW = (QUEUED, SENDING, SENT, DELIVERED, READ, PLAYED)
MESSAGE_SIDE = (FAILED, SKIPPED, DEAD, UNCERTAIN, CANCELED)
MESSAGE_STATES = (*MESSAGE_FLOW, *MESSAGE_SIDE)
