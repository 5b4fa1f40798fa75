"""A message's timeline as its page shows it: queued, each send attempt, each status Meta
reported (applied or kept as ignored, with why), each operator retry or discard (from the
audit log) and its cancellation, in the order they happened."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from recado.clock import from_unix, iso
from recado.http.i18n import format_local
from recado.rules import message_reasons
from recado.rules.status_order import reason_text
from recado.storage.message_queries import (
    MessageAttempt,
    MessageDetail,
    MessageStatus,
    OperatorAction,
)


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


class Operator(Event, frozen=True, kw_only=True, tag="operator"):
    action: str  # retry | discard
    source_ip: str
    previous_state: str | None  # the state it was in when the operator acted


class Canceled(Event, frozen=True, kw_only=True, tag="canceled"):
    reason: str | None  # why, in the studio's language


TimelineEvent = Queued | Attempt | Status | Operator | Canceled

# Meta's timestamps are whole seconds: within a second, its statuses follow what recado did
# (stamped to the millisecond, in that order); an operator's discard and the cancellation it
# made share an instant, the discard first.
_ORDER = {"queued": 0, "attempt": 1, "operator": 2, "canceled": 3, "status": 4}


def timeline(detail: MessageDetail, locale: str, tz: ZoneInfo) -> list[TimelineEvent]:
    m = detail.message
    events: list[TimelineEvent] = [Queued(at=m.created_at, local=format_local(m.created_at, tz))]
    events += [_attempt(a, tz) for a in detail.attempts]
    events += [_status(s, locale, tz) for s in detail.statuses]
    events += [_operator(a, tz) for a in detail.actions]
    # A message is canceled once, for good: its last change is when.
    if m.state == "canceled":
        events.append(
            Canceled(
                at=m.updated_at,
                local=format_local(m.updated_at, tz),
                reason=message_reasons.reason_text(m.reason, locale, tz),
            )
        )
    events.sort(key=lambda e: (e.at[:19], e.what == "status", e.at, _ORDER[e.what]))
    return events


def _operator(a: OperatorAction, tz: ZoneInfo) -> Operator:
    before = a.detail.get("from")
    return Operator(
        at=a.at,
        local=format_local(a.at, tz),
        action=a.action,
        source_ip=a.source_ip,
        previous_state=before if isinstance(before, str) else None,
    )


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
