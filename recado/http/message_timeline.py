"""A message's timeline as its page shows it: queued, each send attempt, each status Meta
reported (applied or kept as ignored, with why), in the order they happened."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from recado.clock import from_unix, iso
from recado.http.i18n import format_local
from recado.rules.status_order import reason_text
from recado.storage.message_queries import MessageAttempt, MessageDetail, MessageStatus


class GraphErrorView(msgspec.Struct, frozen=True, kw_only=True):
    """What Meta said was wrong; whatever a proxy answered when it is not a Graph error."""

    code: Any
    message: Any


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="what"):
    """One line of the timeline; ``what`` (the tag) says which kind."""

    at: str  # when, as stored (statuses: Meta's timestamp)
    local: str  # the same in the studio's zone

    @property
    def what(self) -> str:
        return str(self.__struct_config__.tag)


class Queued(Event, frozen=True, kw_only=True, tag="queued"):
    pass


class Attempt(Event, frozen=True, kw_only=True, tag="attempt"):
    n: int
    outcome: str
    dry_run: bool
    to: str
    request: dict[str, Any]
    http_status: int | None
    wamid: str | None
    error: GraphErrorView | None


class Status(Event, frozen=True, kw_only=True, tag="status"):
    status: str
    applied: bool
    outcome: str
    reason: str | None


TimelineEvent = Queued | Attempt | Status

# Meta's timestamps are whole seconds: within a second, a status follows the attempt.
_ORDER = {"queued": 0, "attempt": 1, "status": 2}


def timeline(detail: MessageDetail, locale: str, tz: ZoneInfo) -> list[TimelineEvent]:
    created = detail.message.created_at
    events: list[TimelineEvent] = [Queued(at=created, local=format_local(created, tz))]
    events += [_attempt(a, tz) for a in detail.attempts]
    events += [_status(s, locale, tz) for s in detail.statuses]
    events.sort(key=lambda e: (e.at[:19], _ORDER[e.what]))
    return events


def _attempt(a: MessageAttempt, tz: ZoneInfo) -> Attempt:
    answer = a.answer if isinstance(a.answer, dict) else {}
    raw_error = answer.get("error")
    # Graph errors are objects; a proxy's bare 5xx may carry anything.
    error: GraphErrorView | None = None
    if isinstance(raw_error, dict):
        error = GraphErrorView(code=raw_error.get("code"), message=raw_error.get("message"))
    elif raw_error:
        error = GraphErrorView(code=None, message=str(raw_error))
    return Attempt(
        at=a.started_at,
        local=format_local(a.started_at, tz),
        n=a.n,
        outcome=a.outcome,
        dry_run=a.dry_run,
        to=a.to_number,
        request=a.request,
        http_status=a.http_status,
        wamid=a.wamid,
        error=error,
    )


def _status(s: MessageStatus, locale: str, tz: ZoneInfo) -> Status:
    at = from_unix(s.ts)
    return Status(
        at=iso(at) if at else "",
        local=format_local(s.ts, tz),
        status=s.status,
        applied=s.outcome == "applied",
        outcome=s.outcome,
        reason=reason_text(s.ignored_reason, locale),
    )
