"""What the public listener's routes take and answer, for its OpenAPI document
(recado/http/openapi.py). A route added to the public app is described here too."""

from __future__ import annotations

import functools
import operator
from typing import Any

import msgspec

from recado.events.payloads import AppointmentData, CancelData, FreeFormData
from recado.http.api_shapes import (
    ErrorBody,
    EventAccepted,
    EventRefusal,
    Instant,
    Liveness,
    Readiness,
    WebhookBody,
    WebhookReceived,
)
from recado.http.openapi import Answer, Query, Registry, RouteDoc, merge, statuses
from recado.http.status_page import StatusPage
from recado.rules.kinds import APPOINTMENT_TYPES, FREE_FORM_TYPES

_DATA: dict[str, Any] = {
    APPOINTMENT_TYPES[0]: AppointmentData,
    APPOINTMENT_TYPES[1]: AppointmentData,
    APPOINTMENT_TYPES[2]: CancelData,
    **dict.fromkeys(FREE_FORM_TYPES, FreeFormData),
}


def _event_struct(event_type: str, data: Any) -> Any:
    name = "Event_" + event_type.replace(".", "_")
    return msgspec.defstruct(
        name,
        [("id", str), ("occurred_at", Instant), ("data", data)],
        tag_field="type",
        tag=event_type,
        kw_only=True,
    )


# One body per event type, told apart by ``type``, each with that type's ``data``: the
# Structs validate_event converts ``data`` with.
EventBody: Any = functools.reduce(operator.or_, (_event_struct(t, d) for t, d in _DATA.items()))


def probes() -> Registry:
    return merge(
        [
            (
                ("GET", "/healthz"),
                RouteDoc(
                    "Liveness: the listener answers",
                    {200: Answer("Alive", json=Liveness)},
                    tags=("probes",),
                ),
            ),
            (
                ("GET", "/readyz"),
                RouteDoc(
                    "Readiness: storage, actors and the config are usable",
                    {
                        200: Answer("Ready", json=Readiness),
                        503: Answer("Not ready; reasons say why", json=Readiness),
                    },
                    tags=("probes",),
                ),
            ),
            (
                ("GET", "/openapi.json"),
                RouteDoc(
                    "This document",
                    {200: Answer("The OpenAPI 3.1 document", json=dict[str, Any])},
                    tags=("probes",),
                ),
            ),
            (
                ("GET", "/static/<path:filename>"),
                RouteDoc(
                    "The pages' CSS and scripts",
                    {200: Answer("The file", text="application/octet-stream")},
                    statuses(404),
                    tags=("pages",),
                ),
            ),
        ]
    )


PUBLIC_ROUTES: Registry = merge(
    probes().items(),
    [
        (
            ("GET", "/webhooks/whatsapp"),
            RouteDoc(
                "Meta's verification handshake: echoes hub.challenge",
                {200: Answer("The challenge", text="text/plain")},
                statuses(403),
                query=(
                    Query("hub.mode", {"type": "string"}),
                    Query("hub.verify_token", {"type": "string"}),
                    Query("hub.challenge", {"type": "string"}),
                ),
                tags=("webhooks",),
            ),
        ),
        (
            ("POST", "/webhooks/whatsapp"),
            RouteDoc(
                "A webhook body from Meta, committed to the inbox before the 200",
                {200: Answer("Stored; applied afterwards", json=WebhookReceived)},
                statuses(400, 401),
                body=WebhookBody,
                tags=("webhooks",),
            ),
        ),
        (
            ("POST", "/api/v1/events"),
            RouteDoc(
                "An event from the studio's systems (docs/reference.md §4.3, §5)",
                {
                    200: Answer("Already accepted with this body", json=EventAccepted),
                    202: Answer("Accepted and committed", json=EventAccepted),
                },
                statuses(400, 401, 409) | statuses(422, typ=EventRefusal),
                body=EventBody,
                security="api_key",
                tags=("events",),
            ),
        ),
        (
            ("GET", "/status"),
            RouteDoc(
                "The studio's public status: incidents' public notes only",
                {200: Answer("The status as JSON, or the page", json=StatusPage, html=True)},
                tags=("status",),
            ),
        ),
        (
            ("GET", "/status.json"),
            RouteDoc(
                "The studio's public status as JSON",
                {200: Answer("The status", json=StatusPage, html=True)},
                tags=("status",),
            ),
        ),
        (
            ("GET", "/voucher/<appointment_id>"),
            RouteDoc(
                "The appointment's voucher page, behind its signed link",
                {200: Answer("The voucher", html=True)},
                {404: ErrorBody},
                query=(Query("sig", {"type": "string"}, "the link's signature"),),
                tags=("voucher",),
            ),
        ),
    ],
)
