"""What happens to a job when it ends without a request, or after its request: a
``JobUpdate`` that storage applies in one write (``storage/sending.apply_job_update``).

After a request, by what the Graph API answered (``rules/graph_results.py``)::

    accepted       → sent
    unknown        → uncertain until ``uncertain_timeout_s``: never retried automatically
    not sent       → retried with backoff (nothing left), dead once the attempts are spent
    rejected, by its classification (``rules/graph_errors.py``):
      auth          → failed; sending paused until a new token; critical alert
      window_closed → skipped (``window_closed``)
      permanent     → failed (alert when the code asks for one)
      operator      → failed (alert when the code asks for one)
      transient     → retried with backoff, dead once the attempts are spent

Before a request, by ``rules/send_policy.decide``: skipped, canceled or failed with the
decision's reason. The reason is a code with parameters (``rules/message_reasons.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from recado.rules import graph_errors
from recado.rules import message_reasons as mr
from recado.rules import states as st
from recado.rules.graph_results import Accepted, NotSent, Rejected, SendResult, Unknown
from recado.rules.instants import iso
from recado.rules.retry_schedule import message_step
from recado.rules.send_policy import CallOff, Fail, Skip
from recado.rules.window import WindowState


@dataclass(frozen=True)
class SendSettings:
    max_attempts: int
    retry_base_s: float
    retry_cap_s: float
    uncertain_timeout_s: float
    # The Graph client's own timeout: a request it cut is said to have timed out after it.
    send_timeout_s: float
    # Which token a pause was for (a new token lifts it); a hash, never the token.
    token_fingerprint: str


@dataclass(frozen=True)
class Attempt:
    """How the attempt row ends."""

    outcome: str  # sent | dry_run | rejected | not_sent | unknown
    http_status: int | None = None
    error_code: int | None = None
    answer: Any = None
    wamid: str | None = None


@dataclass(frozen=True)
class Alert:
    severity: str  # critical | warning
    code: str
    subject: str
    pt_br: str
    en: str


@dataclass(frozen=True)
class JobUpdate:
    state: str  # a message state (rules/states.py)
    reason_code: str | None = None
    reason: mr.Reason | None = None
    # queued: when it is tried again; uncertain: when the wait for a status ends.
    due_at: datetime | None = None
    attempt: Attempt | None = None
    wamid: str | None = None
    wa_id: str | None = None
    dry_run: bool = False
    # Meta refused the token: every job waits; persisted as the setting "sending_paused".
    pause: dict[str, Any] | None = None
    alert: Alert | None = None


def called_off(
    decision: Skip | CallOff | Fail,
    kind: str,
    window: WindowState | None,
    params: dict[str, Any] | None = None,
) -> JobUpdate:
    """The job ends without a request, as ``send_policy.decide`` said; ``params`` are the
    reason's (a template problem's, ``rules/template_check.py``)."""
    state = {Skip: st.SKIPPED, CallOff: st.CANCELED, Fail: st.FAILED}[type(decision)]
    code = decision.reason
    if code == "window_closed" and window is not None:
        why = mr.window_reason(window.last_inbound_at, window.expires_at)
    elif code == "template_not_configured":
        why = mr.reason(code, template=kind)
    else:
        why = mr.reason(code, **(params or {}))
    return JobUpdate(state, code, why)


def dry_run_sent(job_id: str) -> JobUpdate:
    """A dry run goes the whole way but the request: sent, with a made-up wamid."""
    wamid = f"dryrun.{job_id}"
    return JobUpdate(
        st.SENT, attempt=Attempt("dry_run", 200, wamid=wamid), wamid=wamid, dry_run=True
    )


def internal_error(error: str, now: datetime, s: SendSettings) -> tuple[JobUpdate, JobUpdate]:
    """Processing the job raised ``error``: (if it was not claimed yet: failed, an operator
    can retry it once the cause is fixed; if it was already sending: uncertain, since the
    request may have left and a retry could send it twice)."""
    unclaimed = JobUpdate(st.FAILED, "internal_error", mr.internal_error_reason(error, False))
    claimed = JobUpdate(
        st.UNCERTAIN,
        "unknown_internal_error",
        mr.internal_error_reason(error, True),
        due_at=now + timedelta(seconds=s.uncertain_timeout_s),
    )
    return unclaimed, claimed


def after_send(
    job_id: str, result: SendResult, attempt: int, s: SendSettings, now: datetime, rand: float
) -> JobUpdate:
    """What the ``attempt``-th send (1-based) of the job comes to; ``rand`` in [0, 1)."""
    if isinstance(result, Accepted):
        return JobUpdate(
            st.SENT,
            attempt=Attempt("sent", 200, answer=result.answer, wamid=result.wamid),
            wamid=result.wamid,
            wa_id=result.wa_id,
        )
    if isinstance(result, Unknown):
        return JobUpdate(
            st.UNCERTAIN,
            f"unknown_{result.kind}",
            mr.uncertain_reason(result.kind, result.detail, s.send_timeout_s),
            due_at=now + timedelta(seconds=s.uncertain_timeout_s),
            attempt=Attempt("unknown", answer={"transport": result.kind, "detail": result.detail}),
        )
    if isinstance(result, NotSent):
        c = graph_errors.classify_transport(result.kind)
        return _retry_or_dead(
            c, mr.graph_reason(c, None), Attempt("not_sent"), attempt, s, now, rand
        )
    return _rejected(job_id, result, attempt, s, now, rand)


def _rejected(
    job_id: str, r: Rejected, attempt: int, s: SendSettings, now: datetime, rand: float
) -> JobUpdate:
    c = graph_errors.classify(r.http_status, r.code, r.subcode, r.is_transient)
    why = mr.graph_reason(c, r)
    tried = Attempt("rejected", r.http_status, r.code, r.answer)
    if c.kind == graph_errors.AUTH:
        pause = {
            "code": c.code,
            "reason_code": c.reason_code,
            "at": iso(now),
            "token": s.token_fingerprint,
        }
        critical = Alert("critical", "whatsapp_auth", "whatsapp", c.pt_br, c.en)
        return JobUpdate(st.FAILED, c.reason_code, why, attempt=tried, pause=pause, alert=critical)
    if c.kind == graph_errors.WINDOW_CLOSED:
        return JobUpdate(st.SKIPPED, "window_closed", why, attempt=tried)
    if c.kind in (graph_errors.PERMANENT, graph_errors.OPERATOR):
        alert = Alert("warning", c.reason_code, job_id, c.pt_br, c.en) if c.alert else None
        return JobUpdate(st.FAILED, c.reason_code, why, attempt=tried, alert=alert)
    return _retry_or_dead(c, why, tried, attempt, s, now, rand)


def _retry_or_dead(
    c: graph_errors.Classification,
    why: mr.Reason,
    tried: Attempt,
    attempt: int,
    s: SendSettings,
    now: datetime,
    rand: float,
) -> JobUpdate:
    delay = message_step(attempt, s.max_attempts, s.retry_base_s, s.retry_cap_s, rand, c.backoff)
    if delay is None:
        return JobUpdate(st.DEAD, c.reason_code, why, attempt=tried)
    return JobUpdate(
        st.QUEUED, c.reason_code, why, due_at=now + timedelta(seconds=delay), attempt=tried
    )
