"""What a Meta webhook body becomes: one typed item per message, status, echo, history
chunk, state sync, template update or unknown field, in body order (``webhook_parse``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GraphErrorItem:
    code: int | None
    title: str | None
    message: str | None
    details: str | None


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    wa_id: str
    profile_name: str | None
    timestamp: int
    type: str
    context_id: str | None
    reply_payload: str | None
    reply_title: str | None
    text_body: str | None
    content_json: str
    errors: list[GraphErrorItem]
    phone_number_id: str | None
    waba_id: str | None
    path: str = ""
    raw_json: str = "null"


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str
    status: str
    timestamp: int
    recipient_id: str | None
    callback_data: str | None
    conversation_id: str | None
    conversation_expires_at: int | None
    conversation_origin: str | None
    pricing_json: str | None
    errors: list[GraphErrorItem]
    phone_number_id: str | None
    path: str = ""
    raw_json: str = "null"


@dataclass(frozen=True)
class EchoMessage:
    wamid: str
    wa_id: str
    timestamp: int
    type: str
    text_body: str | None
    content_json: str
    path: str = ""
    raw_json: str = "null"


@dataclass(frozen=True)
class HistoryChunk:
    phase: int | None
    chunk_order: int | None
    progress: int | None
    message_count: int
    error_code: int | None
    data_json: str


@dataclass(frozen=True)
class StateSync:
    wa_id: str | None
    action: str | None
    summary: str
    data_json: str


@dataclass(frozen=True)
class TemplateStatus:
    field: str
    event: str | None
    name: str | None
    language: str | None
    reason: str | None
    data_json: str


@dataclass(frozen=True)
class ValueErrors:
    field: str
    errors: list[GraphErrorItem]


@dataclass(frozen=True)
class BadItem:
    field: str
    path: str
    problem: str
    raw_json: str


@dataclass(frozen=True)
class OtherField:
    field: str
    value_json: str
    entry_time: int | None


Item = (
    InboundMessage
    | StatusUpdate
    | EchoMessage
    | HistoryChunk
    | StateSync
    | TemplateStatus
    | ValueErrors
    | BadItem
    | OtherField
)


@dataclass
class ParsedBody:
    items: list[Item] = field(default_factory=list)
