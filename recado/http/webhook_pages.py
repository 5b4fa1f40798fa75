"""Operator views of the webhook inbox and the conversation ledger, and the replay action
(docs/reference.md §9.2-9.3)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from quart import Quart, Response, jsonify

from recado.clock import from_unix, iso
from recado.http.auth import client_ip, json_body
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.params import query_choice, query_limit, query_optional_int, wa_id_or_none
from recado.http.views import respond
from recado.rules.bounds import sql_int_ok
from recado.rules.client_label import client_label
from recado.rules.identity import looks_like_bsuid
from recado.rules.instants import OutOfRange, parse_instant
from recado.rules.window import Ledger, window_state
from recado.runtime.context import Daemon
from recado.storage.audit import record_audit
from recado.storage.conversations import (
    Activity,
    ConversationRow,
    conversation,
    conversation_customer,
    recent_activity,
)
from recado.storage.inbox import INBOX_STATES, InboxItem, recent_inbox
from recado.storage.webhook_set_aside import SetAsideItem, set_aside_items

SET_ASIDE_SHOWN = 50
ACTIVITY_SHOWN = 50


class WebhooksPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[InboxItem]
    next_before: int | None  # the ``before`` of the next (older) page, None on the last
    set_aside: list[SetAsideItem]


class LedgerView(msgspec.Struct, frozen=True, kw_only=True):
    profile_name: str | None
    last_inbound_at: str | None
    last_inbound_wamid: str | None
    last_outbound_at: str | None
    last_echo_at: str | None
    inbound_count: int
    outbound_count: int
    echo_count: int


class WindowView(msgspec.Struct, frozen=True, kw_only=True):
    open: bool
    reason: str  # open | window_closed | no_inbound
    last_inbound_at: str | None
    expires_at: str | None


class ConversationPage(msgspec.Struct, frozen=True, kw_only=True):
    wa_id: str  # the page's key: the client's number (digits), else their BSUID
    customer_id: int | None  # for a reply (``POST /customers/<id>/reply``); None: unknown
    # Names the reply the page's form sends: the same form posted twice queues one message.
    reply_request_id: str
    title: str  # rules/client_label: how pages name this client
    phone: str | None
    ledger: LedgerView | None
    window: WindowView
    activity: list[Activity]


async def webhooks_data(
    daemon: Daemon, state: str | None, limit: int, before: int | None
) -> WebhooksPage:
    items = await daemon.storage.read(recent_inbox, limit, before, state)
    set_aside = await daemon.storage.read(set_aside_items, SET_ASIDE_SHOWN)
    next_before = items[-1].id if len(items) == limit else None
    return WebhooksPage(items=items, next_before=next_before, set_aside=set_aside)


async def conversation_data(daemon: Daemon, key: str) -> ConversationPage:
    customer = await daemon.storage.read(conversation_customer, key)
    row = activity = None
    if customer is not None:
        row = await daemon.storage.read(conversation, customer.id)
        activity = await daemon.storage.read(recent_activity, customer.id, ACTIVITY_SHOWN)
    state = window_state(_ledger(row), daemon.clock.now())
    if customer is not None:
        label = client_label(
            name=customer.profile_name,
            username=customer.username,
            bsuid=customer.bsuid,
            phone=customer.phone,
            region=daemon.config.studio.country,
        )
    else:
        phone = None if looks_like_bsuid(key) else f"+{key}"
        label = client_label(name=None, phone=phone, region=daemon.config.studio.country)
    return ConversationPage(
        wa_id=key,
        customer_id=customer.id if customer is not None else None,
        reply_request_id=uuid.uuid4().hex,
        title=label.title,
        phone=label.phone,
        ledger=None if row is None else _ledger_view(row),
        window=WindowView(
            open=state.open,
            reason=state.reason,
            last_inbound_at=_iso(state.last_inbound_at),
            expires_at=_iso(state.expires_at),
        ),
        activity=activity or [],
    )


def _ledger(row: ConversationRow | None) -> Ledger | None:
    if row is None:
        return None
    return Ledger(
        row.customer_id,
        last_inbound_at=from_unix(row.last_inbound_at),
        last_outbound_at=from_unix(row.last_outbound_at),
        inbound_count=row.inbound_count,
        outbound_count=row.outbound_count,
    )


def _ledger_view(row: ConversationRow) -> LedgerView:
    return LedgerView(
        profile_name=row.profile_name,
        last_inbound_at=_iso(from_unix(row.last_inbound_at)),
        last_inbound_wamid=row.last_inbound_wamid,
        last_outbound_at=_iso(from_unix(row.last_outbound_at)),
        last_echo_at=_iso(from_unix(row.last_echo_at)),
        inbound_count=row.inbound_count,
        outbound_count=row.outbound_count,
        echo_count=row.echo_count,
    )


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value else None


def install_webhook_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/webhooks")
    @app.get("/webhooks.json")
    async def webhooks() -> Response:
        state = query_choice("state", tuple(INBOX_STATES))
        data = await webhooks_data(
            daemon, state, query_limit("limit", 50), query_optional_int("before")
        )
        return await respond("webhooks.html", data)

    @app.get("/conversations/<wa_id>")
    @app.get("/conversations/<wa_id>.json")
    async def conversation_page(wa_id: str) -> Response:
        key = wa_id.removesuffix(".json")
        if not looks_like_bsuid(key):
            digits = wa_id_or_none(key)
            if digits is None:
                return json_error(
                    422,
                    "invalid_field",
                    "wa_id: expected the client's number (digits) or WhatsApp user id",
                )
            key = digits
        return await respond("conversation.html", await conversation_data(daemon, key))

    @app.post("/webhooks/replay")
    @guarded
    async def replay() -> Response:
        body = await json_body(("since", "id"))
        if isinstance(body, Response):
            return body
        since_raw, only_id = body.get("since"), body.get("id")
        since = None
        if since_raw is not None:
            try:
                since = parse_instant(since_raw)
            except OutOfRange as exc:
                return json_error(422, "invalid_field", f"since: {exc}", field="since")
            except ValueError:
                return json_error(
                    422,
                    "invalid_field",
                    "since: expected an RFC 3339 time with an offset",
                    field="since",
                )
        if only_id is not None and not (
            isinstance(only_id, int) and not isinstance(only_id, bool) and sql_int_ok(only_id)
        ):
            return json_error(
                422, "invalid_field", "id: expected an inbox id (a 64-bit integer)", field="id"
            )
        result = await daemon.commands.webhooks.replay(since, only_id)
        # A replay is many transactions (one per body): its audit row follows the last.
        await daemon.storage.write(
            record_audit,
            daemon.clock.now(),
            "webhooks.replay",
            str(only_id or since_raw or "all"),
            client_ip(),
            "operator",
            result.as_json(),
        )
        return jsonify(result.as_json())
