"""What one send to the Graph API came to, told apart by whether the request may have
reached Meta (``whatsapp/graph_client.py`` produces these; ``rules/send_outcome.py`` decides
what each does to the job)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Accepted:
    wamid: str
    wa_id: str | None
    answer: dict[str, Any]


@dataclass(frozen=True)
class Rejected:
    http_status: int
    code: int | None
    subcode: int | None
    is_transient: bool | None
    details: str
    answer: Any


@dataclass(frozen=True)
class NotSent:
    """Nothing left: the connection was never made (safe to retry)."""

    kind: str  # connect_error | connect_timeout
    detail: str


@dataclass(frozen=True)
class Unknown:
    """The request may have reached Meta without an answer (never retried automatically)."""

    kind: str  # read_timeout | write_error | dropped | bad_answer | stopped
    detail: str


SendResult = Accepted | Rejected | NotSent | Unknown
