"""Message states and how a status webhook moves them (docs/reference.md §6.3).

``queued → sending → sent → delivered → read (→ played)``; side states ``failed``,
``skipped``, ``dead``, ``uncertain``, ``canceled``. A state never moves backwards: a status
of equal or lower rank is kept on the timeline but not applied, with a reason. ``failed``
applies only before delivery. Meta's word resolves ``uncertain`` (the send's outcome was
unknown) and also ``dead`` when it died as ``outcome_unknown``: the message did go out, and
showing it as dead would be false. ``skipped`` and ``canceled`` never had a send, so no
status can apply to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from recado.rules import states as st

RANK = {state: n for n, state in enumerate(st.MESSAGE_FLOW)}
META_STATUSES = (st.SENT, st.DELIVERED, st.READ, st.PLAYED, st.FAILED)
SIDE_STATES = st.MESSAGE_SIDE
_FAILABLE = (st.QUEUED, st.SENDING, st.SENT, st.UNCERTAIN)


@dataclass(frozen=True)
class StatusDecision:
    new_state: str
    applied: bool
    reason: str | None


def apply_status(current: str, incoming: str) -> StatusDecision:
    if incoming not in META_STATUSES:
        return StatusDecision(current, False, "unknown_status")
    if current == incoming:
        return StatusDecision(current, False, "duplicate")
    if current in ("skipped", "canceled"):
        return StatusDecision(current, False, "not_sent")
    if current == "failed":
        return StatusDecision(current, False, "after_failed")
    if incoming == "failed":
        if current in _FAILABLE or current == "dead":
            return StatusDecision("failed", True, None)
        return StatusDecision(current, False, "failed_after_delivery")
    if current in ("uncertain", "dead"):
        return StatusDecision(incoming, True, "outcome_resolved")
    if RANK[incoming] < RANK[current]:
        return StatusDecision(current, False, "out_of_order")
    return StatusDecision(incoming, True, None)


REASONS: dict[str, dict[str, str]] = {
    "unknown_status": {
        "pt-BR": "Status desconhecido da Meta; guardado, mas não altera a mensagem.",
        "en": "Unknown status from Meta; kept, but it does not change the message.",
    },
    "duplicate": {
        "pt-BR": "Status repetido; a mensagem já estava assim.",
        "en": "Repeated status; the message was already in this state.",
    },
    "out_of_order": {
        "pt-BR": "Chegou fora de ordem; um status mais avançado já havia chegado.",
        "en": "Arrived out of order; a later status had already arrived.",
    },
    "failed_after_delivery": {
        "pt-BR": "Falha informada depois da entrega; a entrega prevalece.",
        "en": "Failure reported after delivery; the delivery stands.",
    },
    "after_failed": {
        "pt-BR": "A mensagem já tinha falhado; status guardado apenas no histórico.",
        "en": "The message had already failed; status kept on the timeline only.",
    },
    "not_sent": {
        "pt-BR": "A mensagem não foi enviada (pulada ou cancelada).",
        "en": "The message was not sent (skipped or canceled).",
    },
    "outcome_resolved": {
        "pt-BR": "A Meta confirmou o envio cujo resultado era incerto.",
        "en": "Meta confirmed the send whose outcome was unknown.",
    },
}


def reason_text(reason: str | None, locale: str) -> str | None:
    if reason is None:
        return None
    texts = REASONS.get(reason)
    if texts is None:
        return reason
    return texts.get(locale, texts["pt-BR"])
