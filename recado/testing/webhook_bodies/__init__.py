"""Real-format Meta webhook bodies (docs/whatsapp-notes.md §2-3), for tests and demos.

Each ``inbound_*``/``status``/``echo``/... builder returns one *change* (``{"field", "value"}``);
``envelope`` wraps changes into a body, ``signed`` turns it into bytes and headers. The
builders live in one module per kind of change and are all reachable from here
(``from recado.testing import webhook_bodies as wb``).
"""

from recado.testing.webhook_bodies.account import quality_update, template_status, unknown_field
from recado.testing.webhook_bodies.coexistence import (
    echo,
    history_chunk,
    history_declined,
    history_media_followup,
    state_sync,
)
from recado.testing.webhook_bodies.envelope import (
    BUSINESS_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    encode,
    envelope,
    metadata,
    signed,
    wamid,
)
from recado.testing.webhook_bodies.inbound import (
    inbound,
    inbound_button,
    inbound_contacts,
    inbound_interactive,
    inbound_location,
    inbound_media,
    inbound_order,
    inbound_reaction,
    inbound_system,
    inbound_text,
    inbound_unsupported,
)
from recado.testing.webhook_bodies.statuses import graph_error, status, value_errors

__all__ = [
    "BUSINESS_NUMBER",
    "PHONE_NUMBER_ID",
    "WABA_ID",
    "echo",
    "encode",
    "envelope",
    "graph_error",
    "history_chunk",
    "history_declined",
    "history_media_followup",
    "inbound",
    "inbound_button",
    "inbound_contacts",
    "inbound_interactive",
    "inbound_location",
    "inbound_media",
    "inbound_order",
    "inbound_reaction",
    "inbound_system",
    "inbound_text",
    "inbound_unsupported",
    "metadata",
    "quality_update",
    "signed",
    "state_sync",
    "status",
    "template_status",
    "unknown_field",
    "value_errors",
    "wamid",
]
