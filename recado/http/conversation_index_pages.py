"""The conversations index (docs/reference.md §9.2): every client the studio talks to, most
recent first, searchable by name, username or number, each named the way pages name a client
(``rules/client_label``) with its 24 h window as it stands now."""

from __future__ import annotations

from datetime import datetime

import msgspec
from quart import Quart, Response, request

from recado.clock import from_unix, iso
from recado.http.params import BadParam, query_limit, query_page
from recado.http.views import respond
from recado.rules.client_label import client_label
from recado.rules.phone import wa_id_of
from recado.rules.window import Ledger, window_state
from recado.runtime.context import Daemon
from recado.storage.conversation_index import (
    SEARCH_MAX,
    ConversationSummary,
    conversation_index,
)


class ConversationItem(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: int  # for a reply (``POST /customers/<id>/reply``)
    key: str  # the conversation's page: /conversations/<key> (the number, else the BSUID)
    wa_id: str | None  # the client's number as WhatsApp writes it, when known
    title: str  # profile name, else username, else the end of the BSUID, else the phone
    phone: str | None  # beside the title when it is not the title
    last_at: str | None
    window_open: bool
    inbound_count: int
    outbound_count: int  # recado's sends and the studio's app's (echoes)


class ConversationsPage(msgspec.Struct, frozen=True, kw_only=True):
    q: str
    page: int
    per_page: int
    has_more: bool
    items: list[ConversationItem]


def query_search(name: str) -> str | None:
    raw = (request.args.get(name) or "").strip()
    if len(raw) > SEARCH_MAX or not raw.isprintable():
        raise BadParam(
            name,
            f"expected a name or a number, up to {SEARCH_MAX} characters",
            f"esperado um nome ou um número, de até {SEARCH_MAX} caracteres",
        )
    return raw or None


async def conversations_data(
    daemon: Daemon, search: str | None, page: int, per_page: int
) -> ConversationsPage:
    # One row more than shown tells whether an older page exists.
    rows = await daemon.storage.read(
        conversation_index, search, per_page + 1, (page - 1) * per_page
    )
    now = daemon.clock.now()
    region = daemon.config.studio.country
    items = [_item(row, now, region) for row in rows[:per_page]]
    return ConversationsPage(
        q=search or "", page=page, per_page=per_page, has_more=len(rows) > per_page, items=items
    )


def _item(row: ConversationSummary, now: datetime, region: str) -> ConversationItem:
    label = client_label(
        name=row.profile_name,
        username=row.username,
        bsuid=row.bsuid,
        phone=row.phone,
        region=region,
    )
    last_inbound = from_unix(row.last_inbound_at)
    window = window_state(Ledger(row.customer_id, last_inbound_at=last_inbound), now)
    last_at = from_unix(row.last_at)
    wa_id = row.wa_id or (wa_id_of(row.phone) if row.phone else None)
    return ConversationItem(
        customer_id=row.customer_id,
        key=wa_id or row.bsuid or "",
        wa_id=wa_id,
        title=label.title,
        phone=label.phone,
        last_at=iso(last_at) if last_at else None,
        window_open=window.open,
        inbound_count=row.inbound_count,
        outbound_count=row.outbound_count + row.echo_count,
    )


def install_conversation_index(app: Quart, daemon: Daemon) -> None:
    @app.get("/conversations")
    @app.get("/conversations.json")
    async def conversations() -> Response:
        search = query_search("q")
        paging = query_page("page", query_limit("per_page", 50))
        data = await conversations_data(daemon, search, paging.page, paging.per_page)
        return await respond("conversations.html", data)
