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

# Deliveries (a flow action of an event): pending → done, or retrying → done | dead;
# an operator archives a dead one or sends it again.
PENDING = "pending"
RETRYING = "retrying"
DONE = "done"
ARCHIVED = "archived"
DELIVERY_OPEN = (PENDING, RETRYING)
DLQ_STATES = (DEAD, ARCHIVED)
DELIVERY_STATES = (*DELIVERY_OPEN, DONE, *DLQ_STATES)

# Circuit breakers of the studio's services (rules/breaker.py).
CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"
BREAKER_STATES = (CLOSED, HALF_OPEN, OPEN)

# Sync runs.
RUNNING = "running"
SYNC_RUN_STATES = (RUNNING, DONE, FAILED)

# Alerts, by severity (open until resolved_at is set).
CRITICAL = "critical"
WARNING = "warning"
INFO = "info"
ALERT_SEVERITIES = (CRITICAL, WARNING, INFO)
