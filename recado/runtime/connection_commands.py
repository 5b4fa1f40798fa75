"""What the pages, the API and the CLI may ask of the WhatsApp connection (Embedded Signup,
status, disconnect, key rotation), and what the sender tells it (Meta refused the token).

Answered by the connection actor the daemon registers (``daemon.commands.connection``);
until then, by ``NoConnection``, which refuses with a 503 like a daemon without the actor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from recado.runtime.whatsapp_credentials import Credentials


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


class ConnectionCommands(Protocol):
    async def start(self, session: str, source_ip: str) -> Answer: ...

    async def callback(self, session: str, source_ip: str, given: CallbackInput) -> Answer: ...

    async def popup_ended(self, session: str, source_ip: str, ended: PopupEnded) -> Answer: ...

    async def status(self) -> dict[str, Any]: ...

    async def disconnect(self, source_ip: str) -> Answer: ...

    async def rotate_keys(self, source_ip: str) -> Answer: ...

    async def token_refused(
        self, credentials: Credentials, code: int | None, reason_pt: str, reason_en: str
    ) -> None:
        """Meta answered 190 (or 0, 102) to a send made with ``credentials``."""
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

    async def status(self) -> dict[str, Any]:
        return {"status": "not_connected", "connection": None, "source": "none"}

    async def disconnect(self, source_ip: str) -> Answer:
        return _UNAVAILABLE

    async def rotate_keys(self, source_ip: str) -> Answer:
        return _UNAVAILABLE

    async def token_refused(
        self, credentials: Credentials, code: int | None, reason_pt: str, reason_en: str
    ) -> None:
        return None
