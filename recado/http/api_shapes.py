"""Shapes the OpenAPI documents name that no page Struct already gives: the error shape, the
actions' answers and the JSON bodies operator actions read.

Each is checked against the daemon's real answers by the schemathesis run
(tests/test_openapi_fuzz.py): a field renamed in a route and not here fails it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from recado.rules.bounds import SQL_INT_MAX

RowId = Annotated[int, msgspec.Meta(ge=0, le=SQL_INT_MAX)]
Instant = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every refusal (docs/reference.md §4): a code, a sentence, sometimes more fields."""

    error: Annotated[str, msgspec.Meta(min_length=1)]
    detail: Annotated[str, msgspec.Meta(min_length=1)]


class FieldProblem(msgspec.Struct, kw_only=True):
    field: str
    detail: str


class EventRefusal(ErrorBody, kw_only=True):
    """A 422 of the events API: the first bad field, and all of them."""

    field: str
    problems: list[FieldProblem]


class Liveness(msgspec.Struct, kw_only=True):
    status: Literal["ok"]
    listener: Literal["public", "operator"]


class Readiness(msgspec.Struct, kw_only=True):
    ready: bool
    reasons: list[str]


class EventAccepted(msgspec.Struct, kw_only=True):
    id: str
    status: Literal["accepted", "duplicate"]
    messages_planned: int | None = None  # only when whatsapp.mode is "disabled" (then 0)
    detail: str | None = None


class WebhookReceived(msgspec.Struct, kw_only=True):
    status: Literal["received"]
    id: int


class WebhookChange(msgspec.Struct, kw_only=True):
    field: str
    value: dict[str, Any]


class WebhookEntry(msgspec.Struct, kw_only=True):
    id: str
    changes: list[WebhookChange]


class WebhookBody(msgspec.Struct, kw_only=True):
    """Meta's envelope as the endpoint checks it; the rest is read after the commit."""

    object: Literal["whatsapp_business_account"]
    entry: Annotated[list[WebhookEntry], msgspec.Meta(min_length=1)]


class KillSwitchBody(msgspec.Struct, kw_only=True):
    on: bool


class KillSwitchAnswer(msgspec.Struct, kw_only=True):
    kill_switch: bool
    from_config: bool


class BackupBody(msgspec.Struct, kw_only=True):
    path: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class ReplayBody(msgspec.Struct, kw_only=True):
    since: Instant | None = None
    id: RowId | None = None


class ReplayAnswer(msgspec.Struct, kw_only=True):
    bodies: int
    failed: int


class MessageActed(msgspec.Struct, kw_only=True):
    id: str
    state: str
    previous_state: str


class MessageRefusal(ErrorBody, kw_only=True):
    reason: str
    state: str


class DeliveryActed(msgspec.Struct, kw_only=True):
    message: str
    event_id: str


class BreakerReset(msgspec.Struct, kw_only=True):
    message: str
    service: str
    state: str
    failure_count: int


class SyncStarted(msgspec.Struct, kw_only=True):
    message: str
    job: str


class SyncItemRetried(msgspec.Struct, kw_only=True):
    message: str
    job: str
    failure_id: int
    outcome: Literal["resolved", "refused", "unavailable"]


class TemplateSyncAnswer(msgspec.Struct, kw_only=True):
    message: str
    sync: dict[str, Any]


class ReloadAnswer(msgspec.Struct, kw_only=True):
    """What ``reload_config`` applied, and what waits for a restart."""

    applied: list[str]
    needs_restart: list[str]
    problems: list[str]


class ReloadRefusal(ErrorBody, kw_only=True):
    """A refused reload: nothing applied, every problem named."""

    applied: list[str]
    needs_restart: list[str]
    problems: list[str]


class SignupCallbackBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What the connect page posts when Meta's popup gives a code (an unknown key: 422)."""

    code: Annotated[str, msgspec.Meta(pattern="^[!-~]{1,4096}$")]
    state: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,128}$")]
    waba_id: Annotated[str, msgspec.Meta(pattern="^[0-9]{1,32}$")] | None = None
    phone_number_id: Annotated[str, msgspec.Meta(pattern="^[0-9]{1,32}$")] | None = None
    finish_event: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_.-]{1,64}$")] | None = None


class SignupCancelBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    state: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,128}$")]
    current_step: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_.-]{1,64}$")] | None = None
    error_code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_.-]{1,64}$")] | None = None
    error_message: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


Flag = bool | Literal["on", "true", "1", ""]
Note = Annotated[str, msgspec.Meta(max_length=4000)]


class IncidentActed(msgspec.Struct, kw_only=True):
    """An incident action's answer: its outcome, with the incident as it now stands."""

    outcome: str
    id: RowId
    incident: dict[str, Any]


class IncidentOpenBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    severity: Literal["sev1", "sev2"] = "sev2"
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    description: Note | None = None


class IncidentUpdateBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``note`` or ``public_note`` (or both)."""

    note: Note | None = None
    public_note: Note | None = None
    mitigated: Flag = False


class IncidentResolveBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``reason`` is required with ``force``."""

    root_cause: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    corrective_actions: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    force: Flag = False
    reason: Note | None = None


class PostmortemBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    lessons_learned: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class ReplyBody(msgspec.Struct, kw_only=True):
    """An operator's free-form reply (``POST /customers/<id>/reply``)."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    request_id: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,64}$")]


class ReplyQueued(msgspec.Struct, kw_only=True):
    id: str
    state: str
    new: bool  # False: the same request_id queued it before


class ReplyRefusal(ErrorBody, kw_only=True):
    reason: Literal["no_inbound", "window_closed"]
