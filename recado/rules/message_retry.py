"""What an operator may do with a message (retry, discard), and when a retry is due.

A retry re-checks what the first send checked: a message about an appointment that was
canceled, moved to another time, or has already started is not retried (the sender would
call it off or skip it anyway; refusing up front tells the operator why). A retried job
never goes out before the moment it was planned for: a reminder retried two days early waits
for its time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from recado.rules import states as st
from recado.rules.kinds import APPOINTMENT_REMINDER
from recado.rules.send_policy import AppointmentFacts, appointment_verdict

RETRYABLE = (st.FAILED, st.DEAD, st.SKIPPED, st.UNCERTAIN, st.CANCELED)
DISCARDABLE = (st.QUEUED, st.FAILED, st.DEAD, st.SKIPPED, st.UNCERTAIN)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None = None  # why not: not_retryable_state | appointment_canceled | ...


def retry_verdict(
    state: str, kind: str, appointment: AppointmentFacts | None, now: datetime
) -> Verdict:
    if state not in RETRYABLE:
        return Verdict(False, "not_retryable_state")
    verdict = appointment_verdict(kind, appointment, now)
    if verdict is not None:
        return Verdict(False, verdict.reason)
    return Verdict(True)


def discard_verdict(state: str) -> Verdict:
    return Verdict(True) if state in DISCARDABLE else Verdict(False, "not_discardable_state")


def retry_due_at(
    kind: str, starts_at: datetime | None, reminder_hours_before: float, now: datetime
) -> datetime:
    """Now, or the job's own planned moment when that is still ahead (a reminder)."""
    if kind == APPOINTMENT_REMINDER and starts_at is not None:
        return max(now, starts_at - timedelta(hours=reminder_hours_before))
    return now


REFUSALS: dict[str, dict[str, str]] = {
    "not_retryable_state": {
        "pt-BR": "Só mensagens com falha, desistidas, não enviadas, incertas ou canceladas "
        "podem ser reenviadas.",
        "en": "Only failed, dead, skipped, uncertain or canceled messages can be retried.",
    },
    "not_discardable_state": {
        "pt-BR": "Esta mensagem já terminou; não há o que descartar.",
        "en": "This message is finished; there is nothing to discard.",
    },
    "appointment_canceled": {
        "pt-BR": "O agendamento foi cancelado; esta mensagem não deve mais ser enviada.",
        "en": "The appointment was canceled; this message must not be sent any more.",
    },
    "appointment_changed": {
        "pt-BR": "O agendamento mudou de horário; as mensagens do novo horário já foram "
        "planejadas.",
        "en": "The appointment moved to another time; the new time's messages are planned.",
    },
    "appointment_passed": {
        "pt-BR": "O horário do agendamento já passou.",
        "en": "The appointment's time has already passed.",
    },
}


def refusal_text(reason: str | None, locale: str) -> str:
    texts = REFUSALS.get(reason or "", {"pt-BR": reason or "", "en": reason or ""})
    return texts["en"] if locale == "en" else texts["pt-BR"]
