"""What the operator listener's routes take and answer, for its OpenAPI document
(recado/http/openapi.py). Each page is JSON (``.json``, or ``Accept: application/json``) or
HTML from the same Struct; a route added to the operator app is described here too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from recado.http.alert_pages import AlertsPage
from recado.http.api_public import probes
from recado.http.api_shapes import (
    BackupBody,
    BreakerReset,
    DeliveryActed,
    IncidentActed,
    IncidentOpenBody,
    IncidentResolveBody,
    IncidentUpdateBody,
    KillSwitchAnswer,
    KillSwitchBody,
    MessageActed,
    MessageRefusal,
    PostmortemBody,
    ReloadAnswer,
    ReloadRefusal,
    ReplayAnswer,
    ReplayBody,
    ReplyBody,
    ReplyQueued,
    ReplyRefusal,
    SignupCallbackBody,
    SignupCancelBody,
    SyncItemRetried,
    SyncStarted,
    TemplateSyncAnswer,
)
from recado.http.audit_pages import AuditPage
from recado.http.backup_pages import BackupsPage
from recado.http.breaker_pages import BreakersPage
from recado.http.connect_data import ConnectPage
from recado.http.conversation_index_pages import ConversationsPage
from recado.http.dashboard import Dashboard
from recado.http.dlq_pages import DlqPage
from recado.http.incident_pages import IncidentPage, IncidentsPage
from recado.http.message_pages import MessagePage, MessagesPage
from recado.http.openapi import Answer, Query, Registry, RouteDoc, merge, statuses
from recado.http.params import LIMIT_MAX
from recado.http.report_pages import DailyReport
from recado.http.sync_pages import SyncPage
from recado.http.template_pages import TemplatesPage
from recado.http.webhook_pages import ConversationPage, WebhooksPage
from recado.rules.bounds import SQL_INT_MAX
from recado.rules.kinds import MESSAGE_KINDS
from recado.rules.states import DLQ_STATES, MESSAGE_STATES
from recado.runtime.connection_commands import ConnectionStatus
from recado.storage.appointments import AppointmentDetail
from recado.storage.backup import BackupDone
from recado.storage.conversation_index import SEARCH_MAX
from recado.storage.delivery_queries import DeliveryDetail, EventWithDeliveries
from recado.storage.inbox import INBOX_STATES

Entries = Iterable[tuple[tuple[str, str], RouteDoc]]


def _limit(default: int) -> Query:
    return Query(
        "limit", {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": default}
    )


def _choice(name: str, choices: Iterable[str]) -> Query:
    return Query(name, {"type": "string", "enum": list(choices)})


_DAY = Query("date", {"type": "string", "format": "date"}, "a day in the studio's zone")


def _page(
    path: str,
    summary: str,
    data: Any,
    *,
    query: tuple[Query, ...] = (),
    errors: dict[int, Any] | None = None,
    json_twin: bool = True,
) -> Entries:
    """A page and, when it has one, its ``.json`` twin: the same Struct."""
    doc = RouteDoc(
        summary,
        {200: Answer("The page's data as JSON, or the page", json=data, html=True)},
        statuses(422) | (errors or {}) if query else errors or {},
        query=query,
        tags=("pages",),
    )
    yield ("GET", path), doc
    if json_twin:
        yield ("GET", f"{path}.json"), doc


_PHONE = Query(
    "phone",
    {"type": "string", "maxLength": 40},
    "the client's number: national format of the studio's country, E.164 or WhatsApp digits",
)

_NAME = Query(
    "name",
    {"type": "string", "maxLength": 80},
    "the start of words of the client's name (case and accents folded); the list has the "
    "messages of up to 20 clients it matches",
)


def _csv(path: str, summary: str, *, query: tuple[Query, ...]) -> Entries:
    """A download for a spreadsheet: RFC 4180 CSV in UTF-8 with a BOM."""
    doc = RouteDoc(
        summary,
        {200: Answer("The rows as CSV", text="text/csv")},
        statuses(422),
        query=query,
        tags=("pages",),
    )
    yield ("GET", path), doc


def _action(
    path: str,
    summary: str,
    answer: Any,
    *,
    status: int = 200,
    errors: dict[int, Any] | None = None,
    body: Any = None,
) -> Entries:
    """An operator action: the API key (JSON) or a page's form (a 303 back to the page)."""
    refusals = statuses(401, 403) | (statuses(400, 422) if body is not None else {})
    doc = RouteDoc(
        summary,
        {
            status: Answer("Done", json=answer),
            303: Answer("Done from a page's form: back to the page"),
        },
        refusals | (errors or {}),
        body=body,
        form=True,
        security="operator",
        tags=("actions",),
    )
    yield ("POST", path), doc


def _reply() -> Entries:
    """An operator's reply to a client: the API key (JSON) or the conversation page's form
    (a 303 back to the page)."""
    doc = RouteDoc(
        "Answer a client free-form while their 24 h window is open (sent once per request_id)",
        {
            200: Answer("Queued (or queued before, new false)", json=ReplyQueued),
            303: Answer("Done from the conversation page's form: back to the page"),
        },
        statuses(400, 401, 403, 404, 422) | statuses(409, typ=ReplyRefusal),
        body=ReplyBody,
        form=True,
        security="operator",
        tags=("actions",),
    )
    yield ("POST", "/customers/<int:customer_id>/reply"), doc


_PAGES: list[Entries] = [
    _page("/dashboard", "The dashboard: health, queues, alerts", Dashboard),
    _page(
        "/messages",
        "Messages, newest first, with their reasons",
        MessagesPage,
        query=(
            _choice("state", MESSAGE_STATES),
            _choice("kind", MESSAGE_KINDS),
            _DAY,
            _PHONE,
            _NAME,
            Query("before", {"type": "string"}, "next_before of the previous page"),
            _limit(50),
        ),
    ),
    _csv(
        "/messages.csv",
        "The messages list as CSV, with the list's filters (at most 10 000 rows)",
        query=(
            _choice("state", MESSAGE_STATES),
            _choice("kind", MESSAGE_KINDS),
            _DAY,
            _PHONE,
            _NAME,
            Query("before", {"type": "string"}, "next_before of a page of the list"),
        ),
    ),
    _csv(
        "/dlq.csv",
        "Dead letters (or archived ones) as CSV (at most 10 000 rows)",
        query=(_choice("state", DLQ_STATES),),
    ),
    _csv("/report.csv", "One day's report as CSV (section, item, count)", query=(_DAY,)),
    _page(
        "/messages/<message_id>",
        "One message: its timeline and what can be done with it (a .json suffix: JSON)",
        MessagePage,
        errors=statuses(404),
        json_twin=False,
    ),
    _page(
        "/dlq",
        "Dead letters (or archived ones)",
        DlqPage,
        query=(
            _choice("state", DLQ_STATES),
            Query("page", {"type": "integer", "minimum": 1, "maximum": SQL_INT_MAX // LIMIT_MAX}),
            Query("per_page", {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX}),
        ),
    ),
    _page(
        "/dlq/<rowid:delivery_id>",
        "One delivery and its attempts",
        DeliveryDetail,
        errors=statuses(404),
    ),
    _page(
        "/events/<event_id>",
        "One event and its deliveries (a .json suffix: JSON)",
        EventWithDeliveries,
        errors=statuses(404),
        json_twin=False,
    ),
    _page(
        "/appointments/<appointment_id>",
        "One appointment as its events left it, with its messages (a .json suffix: JSON)",
        AppointmentDetail,
        errors=statuses(404),
        json_twin=False,
    ),
    _page(
        "/webhooks",
        "Stored webhook bodies, newest first",
        WebhooksPage,
        query=(
            _choice("state", INBOX_STATES),
            _limit(50),
            Query("before", {"type": "integer", "minimum": 1, "maximum": SQL_INT_MAX}),
        ),
    ),
    _page(
        "/conversations",
        "Conversations, most recent first, with their service window",
        ConversationsPage,
        query=(
            Query(
                "q",
                {"type": "string", "maxLength": SEARCH_MAX},
                "a name, a username or a number",
            ),
            Query("page", {"type": "integer", "minimum": 1, "maximum": SQL_INT_MAX // LIMIT_MAX}),
            Query("per_page", {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX}),
        ),
    ),
    _page(
        "/conversations/<wa_id>",
        "One client's conversation: the service window and the ledger",
        ConversationPage,
        errors=statuses(422),
    ),
    _page(
        "/incidents",
        "Incidents, the active ones first",
        IncidentsPage,
        query=(
            _choice("state", ("active", "open", "mitigated", "resolved")),
            _choice("severity", ("sev1", "sev2")),
            _limit(50),
            Query("before", {"type": "string"}, "next_before of the previous page"),
        ),
    ),
    _page(
        "/incidents/<rowid:incident_id>",
        "One incident: its clocks, timeline, resolution and post-mortem",
        IncidentPage,
        errors=statuses(404),
    ),
    _page("/circuit-breakers", "The services' circuit breakers", BreakersPage),
    _page("/sync", "Sync jobs, their runs and the items set aside", SyncPage),
    _page("/report/daily", "One day's report", DailyReport, query=(_DAY,)),
    _page(
        "/alerts",
        "Open alerts (all=1: resolved ones too)",
        AlertsPage,
        query=(_choice("all", ("1", "true", "yes", "0", "false", "no")),),
    ),
    _page("/audit", "The operator audit log, newest first", AuditPage, query=(_limit(100),)),
    _page("/templates", "Configured templates beside Meta's definitions", TemplatesPage),
    _page("/backups", "Scheduled backups, newest first, with their size and age", BackupsPage),
]


def _signup(path: str, summary: str, *, body: Any = None, page: bool = True) -> Entries:
    """Embedded Signup and the connection (docs/reference.md): the key, or the connect
    page's own session; refusals in the error shape, Meta's failures as 502."""
    refusals = statuses(401, 403, 409, 502) | (statuses(400, 422) if body is not None else {})
    yield (
        ("POST", path),
        RouteDoc(
            summary,
            {200: Answer("Done", json=dict[str, Any])},
            refusals | (statuses(504) if page else {}),
            body=body,
            form=not page,
            security="operator",
            tags=("connection",),
        ),
    )


_CONNECTION: list[Entries] = [
    _page(
        "/connect/whatsapp",
        "Connect WhatsApp: requirements, the connection, its history",
        ConnectPage,
    ),
    [
        (
            ("GET", "/assets/connect_whatsapp.js"),
            RouteDoc(
                "The connect page's script",
                {200: Answer("The script", text="text/javascript")},
                tags=("pages",),
            ),
        ),
        (
            ("GET", "/api/v1/whatsapp/connection/status"),
            RouteDoc(
                "The WhatsApp connection's state",
                {200: Answer("The state", json=ConnectionStatus)},
                tags=("connection",),
            ),
        ),
    ],
    _signup("/api/v1/whatsapp/embedded-signup/start", "Begin a signup: a one-time state"),
    _signup(
        "/api/v1/whatsapp/embedded-signup/callback",
        "Finish a signup with Meta's code",
        body=SignupCallbackBody,
    ),
    _signup(
        "/api/v1/whatsapp/embedded-signup/cancel",
        "The signup's popup closed without a code",
        body=SignupCancelBody,
    ),
    _signup("/api/v1/whatsapp/connection/disconnect", "Disconnect WhatsApp", page=False),
    _signup("/keys/rotate", "Rotate the key the tokens are encrypted with", page=False),
]

_ACTIONS: list[Entries] = [
    _action(
        "/messages/<message_id>/retry",
        "Send a message again (every check of the first attempt re-run)",
        MessageActed,
        errors=statuses(404) | statuses(409, typ=MessageRefusal),
    ),
    _action(
        "/messages/<message_id>/discard",
        "Call a message off: it is never sent",
        MessageActed,
        errors=statuses(404) | statuses(409, typ=MessageRefusal),
    ),
    _action(
        "/whatsapp/kill-switch",
        "Hold (or release) every WhatsApp send",
        KillSwitchAnswer,
        body=KillSwitchBody,
    ),
    _action(
        "/dlq/<rowid:delivery_id>/retry",
        "Queue a dead delivery again",
        DeliveryActed,
        errors=statuses(404, 409),
    ),
    _action(
        "/dlq/<rowid:delivery_id>/archive",
        "Archive a dead delivery",
        DeliveryActed,
        errors=statuses(404, 409),
    ),
    _action(
        "/circuit-breakers/<service>/reset",
        "Close a service's breaker",
        BreakerReset,
        errors=statuses(404),
    ),
    _action(
        "/sync/<name>/run",
        "Start a sync job's run now",
        SyncStarted,
        status=202,
        errors=statuses(404, 409),
    ),
    _action(
        "/sync/<name>/failures/<int:failure_id>/retry",
        "Deliver an item a sync run set aside again",
        SyncItemRetried,
        errors=statuses(404, 409),
    ),
    _action(
        "/templates/sync",
        "Read the templates from Meta now",
        TemplateSyncAnswer,
        errors=statuses(409),
    ),
    _reply(),
    _action(
        "/webhooks/replay",
        "Apply stored webhook bodies again (all, since a time, or one id)",
        ReplayAnswer,
        body=ReplayBody,
    ),
    _action(
        "/backup",
        "Write a checked backup of the database",
        BackupDone,
        body=BackupBody,
        errors=statuses(409),
    ),
    _action(
        "/incidents",
        "Open an incident by hand",
        IncidentActed,
        status=201,
        body=IncidentOpenBody,
    ),
    _action(
        "/incidents/<rowid:incident_id>/update",
        "Post an update (and the public note /status shows)",
        IncidentActed,
        body=IncidentUpdateBody,
        errors=statuses(404, 409),
    ),
    _action(
        "/incidents/<rowid:incident_id>/resolve",
        "Resolve after the normal flow held long enough (or forced, with a reason)",
        IncidentActed,
        body=IncidentResolveBody,
        errors=statuses(404, 409),
    ),
    _action(
        "/incidents/<rowid:incident_id>/postmortem",
        "Complete a resolved incident's post-mortem",
        IncidentActed,
        body=PostmortemBody,
        errors=statuses(404),
    ),
    _action(
        "/incidents/<rowid:incident_id>/actions/<action>",
        "One of the SOP's actions (restart_actors, reconnect_whatsapp, kill_switch_on|off, "
        "contingency_on|off, mitigated)",
        IncidentActed,
        errors=statuses(404, 409),
    ),
    _action(
        "/config/reload",
        "Reload the config file: applied whole, or refused with every problem",
        ReloadAnswer,
        errors=statuses(422, typ=ReloadRefusal),
    ),
]

OPERATOR_ROUTES: Registry = merge(
    probes().items(),
    [
        (
            ("GET", "/"),
            RouteDoc("To the dashboard", {302: Answer("Redirect to /dashboard")}, tags=("pages",)),
        ),
        (
            ("GET", "/metrics"),
            RouteDoc(
                "Prometheus metrics",
                {200: Answer("The metrics", text="text/plain")},
                tags=("probes",),
            ),
        ),
    ],
    *_PAGES,
    *_ACTIONS,
    *_CONNECTION,
)
