"""The sender's plumbing around one send: the Graph client and its shielded request, and
what is done with a decided outcome — one write (``storage/sending``), the shared "sending
paused" fact, one journal line. The decisions themselves are ``rules/send_policy.py``
(before a request) and ``rules/send_outcome.py`` (after it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import trio

from recado.config import WhatsAppSection
from recado.logs import get_logger
from recado.rules import states as st
from recado.rules.graph_results import SendResult
from recado.rules.send_outcome import JobUpdate, SendSettings
from recado.runtime.context import Daemon
from recado.runtime.whatsapp_credentials import Credentials
from recado.storage.sending import DueJob, apply_job_update, lift_pause_for_new_token
from recado.storage.settings import SENDING_PAUSED, get_setting
from recado.whatsapp import graph_client as gc

log = get_logger("sender")

# The Graph client's own timeout: a hung request is cut by it and recorded as a timeout.
SEND_TIMEOUT_S = 15.0


async def shielded_send(daemon: Daemon, conn: gc.Connection, body: dict[str, Any]) -> SendResult:
    """The request, shielded from the daemon stopping: in flight when it stops, it gets
    the grace period to finish, or it becomes uncertain, never silently lost nor resent.
    A request that hangs is cut by the Graph client's own timeout, and says so."""
    result: SendResult = gc.Unknown("stopped", "the daemon stopped during the send")

    async def cut_when_stopping(scope: trio.CancelScope) -> None:
        await daemon.stopping.wait()
        scope.deadline = min(
            scope.deadline, trio.current_time() + daemon.config.daemon.shutdown_grace_s
        )

    with trio.CancelScope(shield=True) as scope:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(cut_when_stopping, scope)
            result = await conn.send(body)
            nursery.cancel_scope.cancel()
    return result


def graph_client(
    wa: WhatsAppSection, creds: Credentials, client: gc.GraphClient | None, connections: int
) -> gc.GraphClient:
    """The client sending with the credentials in force (the active connection's token, or
    the config's): the same connections, pointed at a new token and number when a signup
    changed them, without a restart."""
    if client is None:
        client = gc.GraphClient(
            wa.graph_base_url,
            wa.api_version,
            creds.phone_number_id,
            creds.token,
            timeout_s=SEND_TIMEOUT_S,
            connections=connections,
        )
    client.token = creds.token
    client.path = f"/{wa.api_version}/{creds.phone_number_id}/messages"
    return client


def send_settings(wa: WhatsAppSection, creds: Credentials | None) -> SendSettings:
    return SendSettings(
        max_attempts=wa.max_attempts,
        retry_base_s=wa.retry_base_s,
        retry_cap_s=wa.retry_cap_s,
        uncertain_timeout_s=wa.uncertain_timeout_s,
        send_timeout_s=SEND_TIMEOUT_S,
        token_fingerprint=creds.fingerprint if creds else "",
    )


async def load_pause(daemon: Daemon) -> None:
    """The pause persisted by an earlier run holds, unless a new token is in force (no
    token at all lifts nothing: the jobs keep waiting rather than fail)."""
    paused = await daemon.storage.read(get_setting, SENDING_PAUSED)
    creds = daemon.whatsapp_credentials()
    if (
        paused
        and creds is not None
        and await daemon.storage.write(
            lift_pause_for_new_token, creds.fingerprint, daemon.clock.now()
        )
    ):
        log.info("sending_resumed", reason="access token changed")
        paused = None
    daemon.sending_paused = paused


async def settle(
    daemon: Daemon,
    job: DueJob,
    attempt_id: int | None,
    now: datetime,
    update: JobUpdate,
    attempt: int | None = None,
) -> None:
    """Write the outcome (``attempt``: which send it was, for the journal)."""
    await daemon.storage.write(apply_job_update, job.id, attempt_id, now, update)
    if update.pause is not None:
        daemon.sending_paused = update.pause
    _log(job, update, attempt, now)


class Claimed:
    """Outcomes of claimed jobs (``sending``) that storage has not taken yet. The answer is
    known and the request never goes again, so a storage fault must not leave the job
    ``sending`` until the next start: the outcome is kept here and written once storage
    works (lost only if the sender stops, and then the start makes the job uncertain)."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._pending: dict[str, tuple[DueJob, int, datetime, JobUpdate, int | None]] = {}

    async def settle(
        self,
        job: DueJob,
        attempt_id: int,
        now: datetime,
        update: JobUpdate,
        attempt: int | None = None,
    ) -> None:
        self._pending[job.id] = (job, attempt_id, now, update, attempt)
        await settle(self.daemon, job, attempt_id, now, update, attempt)
        del self._pending[job.id]

    async def retry(self) -> None:
        """Write what a storage fault held back; raises the fault while it lasts."""
        for job_id, (job, attempt_id, now, update, attempt) in list(self._pending.items()):
            await settle(self.daemon, job, attempt_id, now, update, attempt)
            del self._pending[job_id]


def log_outcome(job: DueJob, state: str, reason_code: str | None, **fields: Any) -> None:
    """One info line per send outcome, so the journal tells what happened to each job."""
    log.info(
        "message_" + state,
        job=job.id,
        kind=job.kind,
        appointment=job.appointment_id,
        reason=reason_code,
        **fields,
    )


def _log(job: DueJob, u: JobUpdate, attempt: int | None, now: datetime) -> None:
    if u.state in (st.SENT, st.HELD):
        extra = {"dry_run": True} if u.dry_run else {"wamid": u.wamid}
        log_outcome(job, u.state, u.reason_code, **extra)
    elif u.state == st.UNCERTAIN:
        log.warning("send_uncertain", job=job.id, kind=(u.reason or {}).get("transport"))
    elif u.state == st.QUEUED and u.due_at is not None:
        delay = round((u.due_at - now).total_seconds(), 1)
        log_outcome(job, "retry", u.reason_code, attempts=attempt, delay_s=delay)
    elif u.state == st.DEAD:
        log_outcome(job, "dead", u.reason_code, attempts=attempt)
    elif u.attempt is not None and u.attempt.outcome == "rejected":
        log_outcome(job, u.state, u.reason_code, code=u.attempt.error_code)
    else:
        log_outcome(job, u.state, u.reason_code)
    if u.pause is not None:
        log.error("sending_paused", reason=u.pause["reason_code"])
