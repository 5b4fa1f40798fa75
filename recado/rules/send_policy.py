"""Whether a due job goes out now, waits, or ends without a request, and to whom
(docs/reference.md §6.4). The same rules run on a job's first attempt, on every retry and on an
operator's retry: nothing called off is ever sent.

Order of the rules:

1. Sending paused (auth broken) and the kill switch make jobs wait — they are not failed,
   they go out when the operator fixes it.
2. A job whose appointment was canceled, or moved to another time, is called off
   (``canceled``); the cancellation notice itself is the exception.
3. A job about an appointment that has already started is ``skipped`` (too late to help).
4. A template job whose template left the config ``failed`` (explained, not a crash loop).
5. ``disabled`` mode skips.
   A template job whose template Meta's definition says cannot go out (paused, another
   number of parameters …, ``rules/template_check.py``) is ``skipped`` with that reason.
6. A free-form message (cancellation notice, button reply) needs the 24 h window open
   (else ``window_closed`` or ``no_inbound``).
7. In ``enabled`` mode the test recipient and the allowlist apply; in ``dry_run`` nothing
   leaves and the job still runs the whole pipeline.
8. A job that would really go out while WhatsApp is not set up (no token or phone number
   id) is ``failed`` (``not_configured``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recado.rules.kinds import APPOINTMENT_CANCELED, FREE_FORM_KINDS
from recado.rules.window import WindowState


@dataclass(frozen=True)
class Proceed:
    to: str
    dry_run: bool
    redirected_from: str | None = None


@dataclass(frozen=True)
class Wait:
    reason: str  # kill_switch | sending_paused


@dataclass(frozen=True)
class Skip:
    reason: str  # appointment_passed | mode_disabled | not_allowlisted | window_closed | no_inbound


@dataclass(frozen=True)
class CallOff:
    reason: str  # appointment_canceled | appointment_changed


@dataclass(frozen=True)
class Fail:
    reason: str  # template_not_configured | not_configured


Decision = Proceed | Wait | Skip | CallOff | Fail


@dataclass(frozen=True)
class AppointmentFacts:
    """The appointment as it stands now, beside the time the job was planned for."""

    status: str  # scheduled | confirmed | canceled
    starts_at: datetime
    job_starts_at: datetime | None


def appointment_verdict(
    kind: str, apt: AppointmentFacts | None, now: datetime
) -> CallOff | Skip | None:
    """Whether the appointment still wants this job; None when it does (or has none)."""
    if apt is None or kind == APPOINTMENT_CANCELED:
        return None
    if apt.status == "canceled":
        return CallOff("appointment_canceled")
    if apt.job_starts_at is not None and apt.job_starts_at != apt.starts_at:
        return CallOff("appointment_changed")
    if apt.starts_at <= now:
        return Skip("appointment_passed")
    return None


def decide(
    *,
    kind: str,
    to: str,
    mode: str,
    kill_switch: bool,
    sending_paused: bool,
    allowlist: list[str],
    test_recipient: str,
    window: WindowState | None,
    now: datetime | None = None,
    appointment: AppointmentFacts | None = None,
    template_configured: bool = True,
    whatsapp_configured: bool = True,
    template_problem: str | None = None,
) -> Decision:
    if sending_paused:
        return Wait("sending_paused")
    if kill_switch:
        return Wait("kill_switch")
    if now is not None and (verdict := appointment_verdict(kind, appointment, now)) is not None:
        return verdict
    if kind not in FREE_FORM_KINDS and not template_configured:
        return Fail("template_not_configured")
    if mode == "disabled":
        return Skip("mode_disabled")
    if kind not in FREE_FORM_KINDS and template_problem is not None:
        return Skip(template_problem)
    if kind in FREE_FORM_KINDS and window is not None and not window.open:
        return Skip(window.reason)
    if mode == "dry_run":
        return Proceed(to, dry_run=True)
    if test_recipient:
        send = Proceed(test_recipient, dry_run=False, redirected_from=to)
    elif allowlist and to not in allowlist:
        return Skip("not_allowlisted")
    else:
        send = Proceed(to, dry_run=False)
    if not whatsapp_configured:
        return Fail("not_configured")
    return send
