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
class Contact:
    """Who a ``contacts[]`` entry names (docs/whatsapp-notes.md §2): since 2026 the BSUID
    (``user_id``) always, the phone digits (``wa_id``) only when Meta shares them."""

    user_id: str | None = None
    wa_id: str | None = None
    username: str | None = None
    profile_name: str | None = None


@dataclass(frozen=True)
class SystemChange:
    """A ``type: system`` message telling of a change of the user's ids."""

    type: str  # user_changed_number | user_changed_user_id | customer_identity_changed | …
    previous_user_id: str | None
    user_id: str | None
    new_wa_id: str | None  # the older form of user_changed_number named the new wa_id


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    wa_id: str | None  # ``from``: absent for a user whose phone Meta withholds
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
    # An ``edit`` or a ``revoke``: the client's message it changes.
    original_wamid: str | None = None
    user_id: str | None = None  # ``from_user_id`` (or the contact's ``user_id``)
    username: str | None = None
    system: SystemChange | None = None


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
    recipient_user_id: str | None = None
    # The contact sent/delivered/read statuses carry since 2026 (the same person).
    contact: Contact | None = None


@dataclass(frozen=True)
class EchoMessage:
    wamid: str
    wa_id: str | None  # ``to``: absent for a user whose phone Meta withholds
    timestamp: int
    type: str
    text_body: str | None
    content_json: str
    path: str = ""
    raw_json: str = "null"
    user_id: str | None = None  # ``to_user_id``


@dataclass(frozen=True)
class HistoryChunk:
    phase: int | None
    chunk_order: int | None
    progress: int | None
    message_count: int
    error_code: int | None
    data_json: str
    # The users of its threads (``threads[].id`` and ``context.user_id``).
    threads: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class StateSync:
    wa_id: str | None
    action: str | None
    summary: str
    data_json: str
    user_id: str | None = None


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
