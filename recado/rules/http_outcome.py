"""What a destination's answer means for a delivery (docs/reference.md §8.2).

2xx: done. 4xx other than 408, 409, 425 and 429: permanent, dead at once; the service is
reachable, so it does not count against its breaker. 5xx, 408, 409, 425, 429 (with its
``Retry-After``), timeouts and connection errors: transient, retried on the schedule, and a
failure for the breaker. Each outcome carries its cause in pt-BR and English; ``explain``
adds what follows (a retry, or giving up), for the DLQ page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

DONE = "done"
TRANSIENT = "transient"
PERMANENT = "permanent"

RETRYABLE_4XX = frozenset({408, 409, 425, 429})


@dataclass(frozen=True)
class Outcome:
    kind: str
    pt_br: str
    en: str
    retry_after_s: float | None = None

    @property
    def breaker_failure(self) -> bool:
        return self.kind == TRANSIENT

    def explain(self, locale: str, state: str, attempts: int) -> str:
        """The cause and what follows from it, for the delivery's ``state`` after this
        attempt: done, retrying or dead."""
        en = locale == "en"
        cause = self.en if en else self.pt_br
        if state == "done":
            return cause + "."
        if state == "retrying":
            return cause + ("; a retry is scheduled." if en else "; nova tentativa agendada.")
        if self.kind == PERMANENT:
            return cause + (
                "; retrying will not help until the event or the configuration is fixed."
                if en
                else "; repetir não adianta sem corrigir o evento ou a configuração."
            )
        if en:
            return cause + f"; gave up after {attempts} attempt{'s' if attempts > 1 else ''}."
        return cause + f"; desistimos após {attempts} tentativa{'s' if attempts > 1 else ''}."


def classify_status(
    status: int, retry_after: str | None = None, now: datetime | None = None
) -> Outcome:
    if 200 <= status < 300:
        return Outcome(DONE, f"Entregue (HTTP {status})", f"Delivered (HTTP {status})")
    if status == 429:
        wait = parse_retry_after(retry_after, now)
        return Outcome(
            TRANSIENT,
            "O serviço pediu para esperar (HTTP 429)",
            "The service asked us to slow down (HTTP 429)",
            wait,
        )
    if status in RETRYABLE_4XX:
        return Outcome(
            TRANSIENT,
            f"O serviço recusou por agora (HTTP {status})",
            f"The service refused for now (HTTP {status})",
            parse_retry_after(retry_after, now),
        )
    if 400 <= status < 500:
        return Outcome(
            PERMANENT,
            f"O serviço recusou o pedido (HTTP {status})",
            f"The service rejected the request (HTTP {status})",
        )
    if 500 <= status < 600:
        return Outcome(
            TRANSIENT,
            f"Erro no serviço (HTTP {status})",
            f"The service failed (HTTP {status})",
            parse_retry_after(retry_after, now),
        )
    return Outcome(
        TRANSIENT,
        f"Resposta inesperada do serviço (HTTP {status})",
        f"Unexpected answer from the service (HTTP {status})",
    )


def classify_transport(kind: str, detail: str = "") -> Outcome:
    """``kind``: ``timeout`` or ``connect`` (or any other transport failure)."""
    if kind == "timeout":
        return Outcome(
            TRANSIENT,
            "O serviço não respondeu a tempo",
            "The service did not answer in time",
        )
    if kind == "connect":
        return Outcome(
            TRANSIENT,
            "Não foi possível conectar ao serviço",
            "Could not connect to the service",
        )
    suffix = f" ({detail})" if detail else ""
    return Outcome(
        TRANSIENT,
        f"A conexão com o serviço falhou{suffix}",
        f"The connection to the service failed{suffix}",
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if now is None or when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
