"""What the Graph API's answer does to a job that was sent: sent, retried with backoff,
failed or skipped for good (with the reason in both languages), or uncertain when the
request may have reached Meta without an answer (never retried automatically)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from recado.logs import get_logger
from recado.rules import graph_errors
from recado.rules.retry_schedule import message_backoff
from recado.rules.send_reasons import uncertain_reason
from recado.storage import sending as q
from recado.whatsapp import graph_client as gc

if TYPE_CHECKING:
    from recado.actors.sender import Sender

log = get_logger("sender")

# The Graph client's own timeout: a hung request is cut by it and recorded as a timeout.
SEND_TIMEOUT_S = 15.0


def _reason(pt: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"pt-BR": pt, "en": en, **extra}


def log_outcome(job: dict[str, Any], state: str, reason_code: str | None, **fields: Any) -> None:
    """One info line per send outcome, so the journal tells what happened to each job."""
    log.info(
        "message_" + state,
        job=job["id"],
        kind=job["kind"],
        appointment=job.get("appointment_id"),
        reason=reason_code,
        **fields,
    )


async def record_result(
    sender: Sender, job: dict[str, Any], attempt_id: int, result: gc.SendResult
) -> None:
    """What the Graph API's answer (or its absence) does to the job."""
    storage, now = sender.daemon.storage, sender.daemon.clock.now()
    wa = sender.daemon.config.whatsapp
    if isinstance(result, gc.Accepted):
        await storage.write(
            q.record_sent,
            job["id"],
            attempt_id,
            now,
            result.wamid,
            result.wa_id,
            result.answer,
            False,
        )
        log_outcome(job, "sent", None, wamid=result.wamid)
        return
    if isinstance(result, gc.Unknown):
        deadline = now + timedelta(seconds=wa.uncertain_timeout_s)
        await storage.write(
            q.record_uncertain,
            job["id"],
            attempt_id,
            now,
            deadline,
            result.kind,
            result.detail,
            uncertain_reason(result.kind, result.detail, SEND_TIMEOUT_S),
        )
        log.warning("send_uncertain", job=job["id"], kind=result.kind)
        return
    if isinstance(result, gc.NotSent):
        c = graph_errors.classify_transport(result.kind)
        await _retry_or_die(sender, job, attempt_id, c, "not_sent", None, None, None)
        return
    c = graph_errors.classify(result.http_status, result.code, result.subcode, result.is_transient)
    reason = _reason(c.pt_br, c.en, code=result.code, details=result.details)
    common = (result.http_status, result.code, result.answer)
    final = {
        graph_errors.AUTH: ("failed", c.reason_code),
        graph_errors.WINDOW_CLOSED: ("skipped", "window_closed"),
        graph_errors.PERMANENT: ("failed", c.reason_code),
        graph_errors.OPERATOR: ("failed", c.reason_code),
    }.get(c.kind)
    if final is not None:
        state, reason_code = final
        await storage.write(
            q.record_final,
            job["id"],
            attempt_id,
            now,
            state,
            reason_code,
            reason,
            "rejected",
            *common,
        )
        log_outcome(job, state, reason_code, code=result.code)
        if c.kind == graph_errors.AUTH:
            await sender.pause_sending(c, now)
        elif c.alert and c.kind != graph_errors.WINDOW_CLOSED:
            await storage.write(
                q.add_alert, now, "warning", c.reason_code, job["id"], c.pt_br, c.en
            )
    else:
        await _retry_or_die(sender, job, attempt_id, c, "rejected", *common)


async def _retry_or_die(
    sender: Sender,
    job: dict[str, Any],
    attempt_id: int,
    c: graph_errors.Classification,
    outcome: str,
    http_status: int | None,
    code: int | None,
    answer: Any,
) -> None:
    storage, now = sender.daemon.storage, sender.daemon.clock.now()
    wa = sender.daemon.config.whatsapp
    attempt = job["attempts"] + 1
    reason = _reason(c.pt_br, c.en, code=code)
    if attempt >= wa.max_attempts:
        await storage.write(
            q.record_final,
            job["id"],
            attempt_id,
            now,
            "dead",
            c.reason_code,
            reason,
            outcome,
            http_status,
            code,
            answer,
        )
        log_outcome(job, "dead", c.reason_code, attempts=attempt)
        return
    delay = message_backoff(
        attempt, wa.retry_base_s, wa.retry_cap_s, sender.rng.random(), c.backoff
    )
    await storage.write(
        q.record_retry,
        job["id"],
        attempt_id,
        now,
        now + timedelta(seconds=delay),
        c.reason_code,
        reason,
        outcome,
        http_status,
        code,
        answer,
    )
    log_outcome(job, "retry", c.reason_code, attempts=attempt, delay_s=round(delay, 1))
