"""Operator views and actions for messages (docs/reference.md §9.2-9.3): the list, one
message's timeline, retry, discard, and the kill switch."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import msgspec
from quart import Quart, Response, jsonify, request

from recado.clock import iso
from recado.http.auth import client_ip, json_body
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.i18n import format_local, page_locale, studio_zone
from recado.http.message_timeline import TimelineEvent, timeline
from recado.http.params import (
    query_choice,
    query_day,
    query_limit,
    query_name,
    query_phone,
    query_time_cursor,
)
from recado.http.views import respond
from recado.rules import message_reasons
from recado.rules.bounds import EARLIEST_DAY, LATEST_DAY
from recado.rules.client_label import client_label
from recado.rules.kinds import MESSAGE_KINDS as KINDS
from recado.rules.message_retry import refusal_text
from recado.rules.states import MESSAGE_STATES as STATES
from recado.runtime.context import Daemon
from recado.storage.client_names import ClientMatch, find_clients
from recado.storage.message_queries import (
    MessageListItem,
    MessageRecord,
    list_messages,
    message_actions,
    message_detail,
)
from recado.storage.messages import act_on_message
from recado.storage.operator_actions import set_kill_switch


class MessageRow(MessageListItem, frozen=True, kw_only=True):
    reason_text: str | None  # the stored reason in the studio's language
    created_local: str
    client: str  # rules/client_label: how pages name the client
    client_phone: str | None  # the number beside the name, as the operator reads it
    # When it goes out (a queued job's due time) or went out (Meta accepted it): which of
    # the two ("due" | "sent"), None when neither (skipped, canceled before sending).
    goes_out: str | None
    goes_out_local: str


class FormValues(msgspec.Struct, frozen=True, kw_only=True):
    """The filters as asked for, to show them again in the form."""

    state: str
    kind: str
    date: str
    phone: str
    name: str = ""


class ClientFound(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    phone: str | None  # as the operator reads it


class ClientsFound(msgspec.Struct, frozen=True, kw_only=True):
    """The clients a name search found: their messages are the list."""

    items: list[ClientFound]
    more: bool  # more than CLIENTS_MAX matched: the page says to type more of the name


class MessagesPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[MessageRow]
    next_before: str | None  # the ``before`` of the next (older) page, None on the last
    form: FormValues
    states: list[str]
    kinds: list[str]
    day_min: str  # the date picker's range: rules/bounds
    day_max: str
    clients: ClientsFound | None  # None without a name filter


class MessageView(MessageRecord, frozen=True, kw_only=True):
    reason_text: str | None
    client: str
    client_phone: str | None
    params: Any  # the template's parameters as planned (params_json decoded)


class ActionOffer(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    reason: str | None  # the rule's reason code when not allowed
    why_not: str | None  # that reason in the studio's language


class MessageLinks(msgspec.Struct, frozen=True, kw_only=True):
    """The pages of what the message belongs to, None when it has none."""

    event: str | None
    appointment: str | None
    conversation: str | None


class MessagePage(msgspec.Struct, frozen=True, kw_only=True):
    message: MessageView
    timeline: list[TimelineEvent]
    actions: dict[str, ActionOffer]
    # What was asked of Meta at the last attempt (text or template and its parameters).
    sent: dict[str, Any] | None
    # The configured template a job of this kind goes out as, when nothing was asked of Meta
    # yet and the job stores no words: its parameters are filled in when it leaves.
    planned_template: str | None = None
    links: MessageLinks


class MessageFilters(msgspec.Struct, frozen=True, kw_only=True):
    state: str | None
    kind: str | None
    day: datetime | None  # the studio's local midnight of the day asked for
    phone: str | None
    name: list[str] | None = None  # the words of the client's name asked for
    before: tuple[str, str] | None  # created_at and id of the last row of the previous page
    limit: int
    form: FormValues
    # The clients the name found (found once per request, by with_clients), None without
    # a name filter.
    clients: list[ClientMatch] | None = None
    clients_more: bool = False


# Clients a name search lists messages of at most (each is one arm of the list's query).
CLIENTS_MAX = 20


def message_filters(daemon: Daemon, paged: bool = True) -> MessageFilters:
    """The list's filters from the query string; a bad one is a 422 naming it. An export
    (``paged`` false) has no ``limit``: it takes every row, up to its own bound."""
    # Read in this order, so that of several bad ones the same is named first as always.
    state, kind, day = query_choice("state", STATES), query_choice("kind", KINDS), query_day("date")
    phone = query_phone("phone", daemon.config.studio.country)
    name = query_name("name")
    limit = query_limit("limit", 50) if paged else 0
    start = (
        None if day is None else datetime(day.year, day.month, day.day, tzinfo=studio_zone(daemon))
    )
    return MessageFilters(
        state=state,
        kind=kind,
        day=start,
        phone=phone,
        name=name,
        before=_cursor(query_time_cursor("before")),
        limit=limit,
        form=FormValues(
            state=state or "",
            kind=kind or "",
            date=day.isoformat() if day else "",
            phone=(request.args.get("phone") or "").strip(),
            name=(request.args.get("name") or "").strip() if name else "",
        ),
    )


async def with_clients(daemon: Daemon, f: MessageFilters) -> MessageFilters:
    """``f`` with the clients its name matches (one more is asked for, to know there are
    more than the list covers)."""
    if f.name is None:
        return f
    words = f.name
    found = await daemon.storage.read(lambda conn: find_clients(conn, words, CLIENTS_MAX + 1))
    return msgspec.structs.replace(
        f, clients=found[:CLIENTS_MAX], clients_more=len(found) > CLIENTS_MAX
    )


def _cursor(raw: str | None) -> tuple[str, str] | None:
    # A stored instant is 24 characters (rules/instants.iso); the id follows it.
    return None if raw is None else (raw[:24], raw[24:])


async def message_rows(
    daemon: Daemon, f: MessageFilters, before: tuple[str, str] | None, limit: int
) -> list[MessageRow]:
    """One page of the list from ``before`` on, each row as pages and exports show it."""
    day_start = iso(f.day) if f.day else None
    day_end = iso(f.day + timedelta(days=1)) if f.day else None
    items = await daemon.storage.read(
        lambda conn: list_messages(
            conn,
            state=f.state,
            kind=f.kind,
            day_start=day_start,
            day_end=day_end,
            phone=f.phone,
            before=before,
            limit=limit,
            customers=None if f.clients is None else [c.customer_id for c in f.clients],
        )
    )
    locale, tz = page_locale(daemon), studio_zone(daemon)
    region = daemon.config.studio.country
    rows = []
    for item in items:
        client, phone = _client(item, region)
        goes_out, when = _goes_out(item)
        rows.append(
            MessageRow(
                **msgspec.structs.asdict(item),
                reason_text=message_reasons.reason_text(item.reason, locale, tz),
                created_local=format_local(item.created_at, tz),
                client=client,
                client_phone=phone,
                goes_out=goes_out,
                goes_out_local=format_local(when, tz),
            )
        )
    return rows


def next_cursor(rows: list[MessageRow], limit: int) -> tuple[str, str] | None:
    return (rows[-1].created_at, rows[-1].id) if rows and len(rows) == limit else None


async def messages_data(daemon: Daemon, f: MessageFilters) -> MessagesPage:
    rows = await message_rows(daemon, f, f.before, f.limit)
    cursor = next_cursor(rows, f.limit)
    return MessagesPage(
        items=rows,
        next_before=cursor[0] + cursor[1] if cursor else None,
        form=f.form,
        states=list(STATES),
        kinds=list(KINDS),
        day_min=EARLIEST_DAY.isoformat(),
        day_max=LATEST_DAY.isoformat(),
        clients=_clients_found(daemon, f),
    )


def _clients_found(daemon: Daemon, f: MessageFilters) -> ClientsFound | None:
    if f.clients is None:
        return None
    region = daemon.config.studio.country
    return ClientsFound(
        items=[
            ClientFound(
                name=c.name, phone=client_label(name=c.name, phone=c.phone, region=region).phone
            )
            for c in f.clients
        ],
        more=f.clients_more,
    )


def _client(item: MessageListItem, region: str) -> tuple[str, str | None]:
    # The booking's name first: it is the name the studio knows the client by.
    label = client_label(
        name=item.client_name or item.customer_name,
        username=item.customer_username,
        bsuid=item.customer_bsuid,
        phone=item.to_number or item.customer_phone,
        region=region,
    )
    return label.title, label.phone


def _goes_out(item: MessageListItem) -> tuple[str | None, str | None]:
    if item.sent_at:
        return "sent", item.sent_at
    if item.state == "queued" and item.due_at:
        return "due", item.due_at
    return None, None


def _stored_params(text: str | None) -> list[object] | dict[str, object] | None:
    """The parameters as stored, for the page. A job set aside because its parameters are
    not JSON (or not a list or object) shows what is stored instead of failing the page."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return [text[:500]]
    return value if isinstance(value, list | dict) else [value]


async def message_data(daemon: Daemon, message_id: str) -> MessagePage | None:
    detail = await daemon.storage.read(message_detail, message_id)
    if detail is None:
        return None
    locale, tz = page_locale(daemon), studio_zone(daemon)
    verdicts = await daemon.storage.read(message_actions, message_id, daemon.clock.now())
    actions = {
        name: ActionOffer(
            allowed=v.allowed,
            reason=v.reason,
            why_not=None if v.allowed else refusal_text(v.reason, locale),
        )
        for name, v in verdicts.items()
    }
    m = detail.message
    client, phone = _client(m, daemon.config.studio.country)
    template = daemon.config.whatsapp.templates.get(m.kind)
    unsent = not detail.attempts and not m.text_body and not m.params_json
    return MessagePage(
        message=MessageView(
            **msgspec.structs.asdict(m),
            reason_text=message_reasons.reason_text(m.reason, locale, tz),
            client=client,
            client_phone=phone,
            params=_stored_params(m.params_json),
        ),
        timeline=timeline(detail, locale, tz),
        actions=actions,
        sent=detail.attempts[-1].request if detail.attempts else None,
        planned_template=template.name if template is not None and unsent else None,
        links=MessageLinks(
            event=f"/events/{quote(m.event_id, safe='')}" if m.event_id else None,
            appointment=(
                f"/appointments/{quote(m.appointment_id, safe='')}" if m.appointment_id else None
            ),
            conversation=f"/conversations/{m.wa_id}" if m.wa_id else None,
        ),
    )


def install_message_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/messages")
    @app.get("/messages.json")
    async def messages() -> Response:
        f = await with_clients(daemon, message_filters(daemon))
        return await respond("messages.html", await messages_data(daemon, f))

    @app.get("/messages/<message_id>")
    async def message(message_id: str) -> Response:
        message_id = message_id.removesuffix(".json")
        data = await message_data(daemon, message_id)
        if data is None:
            return json_error(404, "not_found", f"no message {message_id}")
        return await respond("message.html", data)

    @app.post("/messages/<message_id>/retry")
    @guarded
    async def retry(message_id: str) -> Response:
        return await _act(daemon, message_id, "retry")

    @app.post("/messages/<message_id>/discard")
    @guarded
    async def discard(message_id: str) -> Response:
        return await _act(daemon, message_id, "discard")

    @app.post("/whatsapp/kill-switch")
    @guarded
    async def kill_switch() -> Response:
        body = await json_body(("on",))
        if isinstance(body, Response):
            return body
        on = body.get("on")
        if not isinstance(on, bool):
            return json_error(
                422, "invalid_field", "on: expected true or false", pt="on: esperado true ou false"
            )
        await daemon.storage.write(set_kill_switch, on, daemon.clock.now(), client_ip())
        daemon.kill_switch_override = on
        daemon.after_commit("sender")
        return jsonify(
            {
                "kill_switch": daemon.kill_switch_on,
                "from_config": daemon.config.whatsapp.kill_switch,
            }
        )


async def _act(daemon: Daemon, message_id: str, action: str) -> Response:
    result = await daemon.storage.write(
        act_on_message,
        action,
        message_id,
        daemon.clock.now(),
        daemon.config.whatsapp.reminder_hours_before,
        client_ip(),
    )
    if result["outcome"] == "not_found":
        return json_error(404, "not_found", f"no message {message_id}")
    if result["outcome"] == "refused":
        return json_error(
            409,
            "not_allowed",
            refusal_text(result["reason"], page_locale(daemon)),
            pt=refusal_text(result["reason"], "pt-BR"),
            reason=result["reason"],
            state=result["state"],
        )
    daemon.after_commit("sender")
    return jsonify(
        {"id": message_id, "state": result["state"], "previous_state": result["previous_state"]}
    )
