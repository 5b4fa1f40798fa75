"""The dead-letter list, one delivery with its history, one event with its deliveries, and
the DLQ actions: retry and archive (docs/reference.md §9.2-9.3)."""

from __future__ import annotations

import msgspec
from quart import Quart, Response, jsonify

from recado.http.auth import client_ip
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.params import Paging, query_choice, query_limit, query_page
from recado.http.views import respond
from recado.rules.states import DLQ_STATES
from recado.runtime.context import Daemon
from recado.storage.delivery_queries import (
    DeliveryDetail,
    EventWithDeliveries,
    delivery_detail,
    dlq_page,
    event_with_deliveries,
)
from recado.storage.operator_actions import (
    DlqOutcome,
    archive_dead_delivery,
    retry_dead_delivery,
)


class DlqItem(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    event_id: str
    destination: str  # the flow action, e.g. http:crm:POST:/leads
    service: str | None
    reason: str | None  # the last error
    last_status: int | None
    attempts: int
    created_at: str
    dead_at: str | None


class DlqPage(msgspec.Struct, frozen=True, kw_only=True):
    state: str
    page: int
    per_page: int
    total: int
    items: list[DlqItem]


async def dlq_data(daemon: Daemon, state: str, paging: Paging) -> DlqPage:
    total, rows = await daemon.storage.read(dlq_page, state, paging.per_page, paging.offset)
    items = [
        DlqItem(
            id=r.id,
            event_id=r.event_id,
            destination=r.action,
            service=r.service,
            reason=r.last_error,
            last_status=r.last_status,
            attempts=r.attempts,
            created_at=r.created_at,
            dead_at=r.dead_at,
        )
        for r in rows
    ]
    return DlqPage(
        state=state, page=paging.page, per_page=paging.per_page, total=total, items=items
    )


async def delivery_data(daemon: Daemon, delivery_id: int) -> DeliveryDetail | None:
    return await daemon.storage.read(delivery_detail, delivery_id)


async def event_data(daemon: Daemon, event_id: str) -> EventWithDeliveries | None:
    return await daemon.storage.read(event_with_deliveries, event_id)


def install_dlq_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/dlq")
    @app.get("/dlq.json")
    async def dlq() -> Response:
        state = query_choice("state", DLQ_STATES, "dead")
        assert state is not None  # the default
        paging = query_page("page", query_limit("per_page", 50))
        return await respond("dlq.html", await dlq_data(daemon, state, paging))

    @app.get("/dlq/<rowid:delivery_id>")
    @app.get("/dlq/<rowid:delivery_id>.json")
    async def dlq_item(delivery_id: int) -> Response:
        detail = await delivery_data(daemon, delivery_id)
        if detail is None:
            return json_error(404, "not_found", f"no delivery {delivery_id}")
        return await respond("delivery.html", detail)

    @app.get("/events/<event_id>")
    async def event_page(event_id: str) -> Response:
        event_id = event_id.removesuffix(".json")
        event = await event_data(daemon, event_id)
        if event is None:
            return json_error(404, "not_found", f'no event "{event_id}"')
        return await respond("event.html", event)

    @app.post("/dlq/<rowid:delivery_id>/retry")
    @guarded
    async def dlq_retry(delivery_id: int) -> Response:
        result = await daemon.storage.write(
            retry_dead_delivery, delivery_id, daemon.clock.now(), client_ip()
        )
        if (refusal := _refusal(delivery_id, result)) is not None:
            return refusal
        daemon.after_commit("deliveries")
        return jsonify({"message": "Item queued for retry", "event_id": result.event_id})

    @app.post("/dlq/<rowid:delivery_id>/archive")
    @guarded
    async def dlq_archive(delivery_id: int) -> Response:
        result = await daemon.storage.write(
            archive_dead_delivery, delivery_id, daemon.clock.now(), client_ip()
        )
        if (refusal := _refusal(delivery_id, result)) is not None:
            return refusal
        return jsonify({"message": "Item archived", "event_id": result.event_id})


def _refusal(delivery_id: int, result: DlqOutcome) -> Response | None:
    if result.outcome == "not_found":
        return json_error(404, "not_found", f"no delivery {delivery_id}")
    if result.outcome == "wrong_state":
        return json_error(
            409,
            "not_in_dlq",
            f"delivery {delivery_id} is {result.state}, not dead: only DLQ items can do that",
        )
    return None
