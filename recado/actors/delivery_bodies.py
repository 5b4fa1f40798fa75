"""What an ``http:`` flow action posts: the event envelope as accepted, or, for an action
written with ``body = "chat"``, a Slack-compatible chat message about the event with a link
to the operator pages (``http.operator_base_url``, else the operator listener's address)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from recado.rules.chat_message import chat_body
from recado.rules.flows import body_shape
from recado.runtime.context import Daemon
from recado.storage.deliveries import DueDelivery, event_envelope


def delivery_body(daemon: Daemon, row: DueDelivery) -> bytes:
    if body_shape(daemon.flows, row.type, row.action) != "chat":
        return event_envelope(row)
    cfg = daemon.config
    base = cfg.http.operator_base_url or daemon.listeners["operator"].url or ""
    chat = chat_body(
        row.type,
        row.event_id,
        json.loads(row.data_json),
        base,
        ZoneInfo(cfg.daemon.timezone),
    )
    return json.dumps(chat, ensure_ascii=False).encode()
