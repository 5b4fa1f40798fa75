"""What the pages, the API and the CLI may ask of the WhatsApp connection (Embedded Signup,
status, disconnect, key rotation), and what the sender tells it (Meta refused the token).

Answered by the connection actor the daemon registers (``daemon.commands.connection``);
until then, by ``NoConnection``, which refuses with a 503 like a daemon without the actor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from recado.runtime.whatsapp_credentials import Credentials
from recado.storage import whatsapp_connections as cs


@dataclass(frozen=True)
class Answer:
    """An HTTP status and its JSON body (a refusal carries ``error`` and ``detail``)."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallbackInput:
    code: str = field(repr=False)
    state: str = field(repr=False)
    waba_id: str | None = None
    phone_number_id: str | None = None
    # The popup's finish event (FINISH, FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING, ...): a
    # hint, like the ids.
    finish_event: str | None = None


@dataclass(frozen=True)
class PopupEnded:
    """The popup closed without a code: canceled at a step, or a user-reported error."""

    state: str = field(repr=False)
    current_step: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class ConnectionView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    status: str  # connecting | active | disconnected | error
    waba_id: str | None
    phone_number_id: str | None
    display_phone_number: str | None
    business_name: str | None
    coexistence: bool
    pin_source: str | None
    token_valid: bool | None
    token_expires_at: str | None
    data_access_expires_at: str | None
    token_checked_at: str | None
    quality_rating: str | None
    messaging_limit: str | None
    quality_event: str | None
    quality_at: str | None
    reason_code: str | None
    reason_pt: str | None
    reason_en: str | None
    error_step: str | None
    started_at: str
    created_at: str
    updated_at: str
    connected_at: str | None
    disconnected_at: str | None


class SmbSync(msgspec.Struct, frozen=True, kw_only=True):
    sync_type: str
    status: str  # pending | done | failed
    attempts: int
    requested_at: str | None
    deadline_at: str
    last_code: int | None


class ConnectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /api/v1/whatsapp/connection/status``."""

    status: str  # not_connected | connecting | active | disconnected | error
    source: str  # connection | config | none: whose token the sender uses
    connection: ConnectionView | None
    smb_syncs: list[SmbSync]


def connection_status(
    row: dict[str, Any] | None, syncs: list[dict[str, Any]], source: str
) -> ConnectionStatus:
    public = cs.public(row)
    return ConnectionStatus(
        status=row["status"] if row else "not_connected",
        source=source,
        connection=msgspec.convert(public, ConnectionView) if public else None,
        smb_syncs=[msgspec.convert(s, SmbSync) for s in syncs],
    )


class ConnectionCommands(Protocol):
    async def start(self, session: str, source_ip: str) -> Answer: ...

    async def callback(self, session: str, source_ip: str, given: CallbackInput) -> Answer: ...

    async def popup_ended(self, session: str, source_ip: str, ended: PopupEnded) -> Answer: ...

    async def status(self) -> ConnectionStatus: ...

    async def disconnect(self, source_ip: str) -> Answer: ...

    async def rotate_keys(self, source_ip: str) -> Answer: ...

    async def token_refused(
        self, credentials: Credentials, code: int | None, reason_pt: str, reason_en: str
    ) -> None:
        """Meta answered 190 (or 0, 102) to a send made with ``credentials``."""
        ...

    async def read_refused(
        self, credentials: Credentials, step: str, reason_code: str, pt: str, en: str
    ) -> None:
        """Meta refused ``credentials``' token on a read (``step``: templates): the
        connection is lost as on an invalid ``debug_token`` (error, sending paused, alert)."""
        ...


_UNAVAILABLE = Answer(
    503, {"error": "unavailable", "detail": "the WhatsApp connection is not running"}
)


class NoConnection:
    async def start(self, session: str, source_ip: str) -> Answer:
        return _UNAVAILABLE

    async def callback(self, session: str, source_ip: str, given: CallbackInput) -> Answer:
        return _UNAVAILABLE

    async def popup_ended(self, session: str, source_ip: str, ended: PopupEnded) -> Answer:
        return _UNAVAILABLE

    async def status(self) -> ConnectionStatus:
        return ConnectionStatus(
            status="not_connected", source="none", connection=None, smb_syncs=[]
        )

    async def disconnect(self, source_ip: str) -> Answer:
        return _UNAVAILABLE

    async def rotate_keys(self, source_ip: str) -> Answer:
        return _UNAVAILABLE

    async def token_refused(
        self, credentials: Credentials, code: int | None, reason_pt: str, reason_en: str
    ) -> None:
        return None

    async def read_refused(
        self, credentials: Credentials, step: str, reason_code: str, pt: str, en: str
    ) -> None:
        return None
