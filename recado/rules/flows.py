"""What an event fans out to: the flow actions that apply to an event type, and the grammar
of the strings the config writes them in (``http:<service>:<METHOD>:<path>``,
``whatsapp:<template>``, delays like ``2h``, sync endpoints ``<service>:<METHOD>:<path>``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_DELAY = re.compile(r"^(\d+)(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_DELAY_S = 365 * 86400


class ParseError(ValueError):
    """A config string that does not follow its grammar; the message says which and why."""


@dataclass(frozen=True)
class PlannedAction:
    action: str  # as written in the config; with the event id it names the delivery
    service: str | None  # None for whatsapp:<template>
    delay_s: float = 0.0
    body: str = "envelope"  # envelope | chat (rules/chat_message.py)


FlowTable = dict[str, tuple[PlannedAction, ...]]


def idempotency_key(event_id: str, action: str) -> str:
    """The same key on every attempt of a delivery, so a destination can drop duplicates."""
    return f"{event_id}:{action}"


def actions_for(table: FlowTable, event_type: str) -> tuple[PlannedAction, ...]:
    """In config order, each action once (the first occurrence wins)."""
    seen: set[str] = set()
    out: list[PlannedAction] = []
    for planned in table.get(event_type, ()):
        if planned.action not in seen:
            seen.add(planned.action)
            out.append(planned)
    return tuple(out)


def body_shape(table: FlowTable, event_type: str, action: str) -> str:
    """How the action posts its body: the event envelope, or a chat message."""
    for planned in table.get(event_type, ()):
        if planned.action == action:
            return planned.body
    return "envelope"


@dataclass(frozen=True)
class Endpoint:
    service: str
    method: str
    path: str


@dataclass(frozen=True)
class HttpAction:
    endpoint: Endpoint
    text: str


@dataclass(frozen=True)
class WhatsAppAction:
    template: str
    text: str


def parse_endpoint(text: str) -> Endpoint:
    service, _, rest = text.partition(":")
    method, _, path = rest.partition(":")
    if not service or not method or not path:
        raise ParseError(f'"{text}" is not <service>:<METHOD>:<path>')
    if method not in METHODS:
        raise ParseError(f'method "{method}" in "{text}" is not one of {", ".join(METHODS)}')
    if not path.startswith("/"):
        raise ParseError(f'path "{path}" in "{text}" must start with /')
    return Endpoint(service, method, path)


def parse_action(text: str) -> HttpAction | WhatsAppAction:
    kind, _, rest = text.partition(":")
    if kind == "http":
        return HttpAction(parse_endpoint(rest), text)
    if kind == "whatsapp" and rest:
        return WhatsAppAction(rest, text)
    raise ParseError(f'"{text}" is not http:<service>:<METHOD>:<path> or whatsapp:<template>')


def parse_delay(text: str) -> timedelta:
    m = _DELAY.match(text)
    if not m:
        raise ParseError(f'"{text}" is not a delay like 30s, 15m, 2h or 1d')
    n, unit = int(m.group(1)), m.group(2)
    delay = timedelta(seconds=n * _UNIT_S[unit]) if n * _UNIT_S[unit] <= _MAX_DELAY_S else None
    if delay is None:
        raise ParseError(f'"{text}" is longer than 365d')
    return delay


class DelayedActionLike(Protocol):
    @property
    def action(self) -> str: ...

    @property
    def delay(self) -> str: ...

    @property
    def body(self) -> str: ...


class FlowLike(Protocol):
    """A ``[[flows]]`` entry as the config holds it (rules do not import the config)."""

    @property
    def event(self) -> str: ...

    @property
    def actions(self) -> Sequence[str | DelayedActionLike]: ...


def flow_table(flows: Sequence[FlowLike]) -> FlowTable:
    """The checked ``[[flows]]`` as the storage expands them: event type → actions."""
    table: dict[str, list[PlannedAction]] = {}
    for flow in flows:
        for action in flow.actions:
            text = action if isinstance(action, str) else action.action
            delay = 0.0 if isinstance(action, str) else parse_delay(action.delay).total_seconds()
            body = "envelope" if isinstance(action, str) else action.body
            parsed = parse_action(text)
            service = parsed.endpoint.service if isinstance(parsed, HttpAction) else None
            table.setdefault(flow.event, []).append(PlannedAction(text, service, delay, body))
    return {event: tuple(actions) for event, actions in table.items()}
