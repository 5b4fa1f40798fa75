"""The standing alerts of the WhatsApp side's faults (docs/operations.md, fault catalogue):
each is one alert row, open while its fault lasts and resolved by itself once the fault
clears, with no restart. The incident monitor evaluates them on every check (every
``incidents.check_interval_s``) and writes the difference; the dashboard shows the open ones.

- ``graph_unstable``: ``STREAK_MIN`` real sends in a row met a 5xx or no answer at all (the
  client's timeout), the last one within ``STILL_FAILING``; over once Meta answers a send.
- ``whatsapp_throttled``: ``STREAK_MIN`` sends in a row refused for throughput (130429, or
  the call limits 4 and 80007) since the last accepted one; over at the next accepted send.
- ``reminder_window_closed``: Meta refused a template message (the booking notice or the
  reminder, which may go outside the 24 h window) with 131047/470 in the last day, after the
  last template send it accepted; over once a template send is accepted again.
- ``webhook_silence``: the incident trigger's own rule (business hours,
  ``incidents.webhook_silence_min``); over when a webhook arrives.
- ``webhook_forged``: ``FORGED_MIN`` webhooks with a bad signature within ``FORGED_WINDOW_S``;
  over after ``QUIET_S`` without one. One alert per flood, never one per request.
- ``webhook_too_large``: a webhook body over ``http.max_body_bytes`` within ``QUIET_S``.
- ``template_problem``: a configured template Meta's definition refuses (paused…), one per
  template; over when Meta reinstates it.

Times in ``RefusalWatch`` are monotonic seconds, so a wall-clock jump neither raises nor
resolves anything.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

GRAPH_UNSTABLE = "graph_unstable"
THROTTLED = "whatsapp_throttled"
WINDOW_CLOSED = "reminder_window_closed"
SILENCE = "webhook_silence"
FORGED = "webhook_forged"
TOO_LARGE = "webhook_too_large"
TEMPLATE_PROBLEM = "template_problem"
CODES = (GRAPH_UNSTABLE, THROTTLED, WINDOW_CLOSED, SILENCE, FORGED, TOO_LARGE, TEMPLATE_PROBLEM)
# The dashboard reads template problems from the live check already (rules/health.py).
DASHBOARD_CODES = tuple(c for c in CODES if c != TEMPLATE_PROBLEM)
SUBJECT = "whatsapp"

STREAK_MIN = 2
STILL_FAILING = timedelta(minutes=15)
THROTTLE_CODES = (4, 80007, 130429)
WINDOW_CLOSED_CODES = (131047, 470)
FORGED_MIN = 20
FORGED_WINDOW_S = 60.0
QUIET_S = 600.0


@dataclass(frozen=True)
class StandingAlert:
    code: str
    subject: str
    severity: str  # critical | warning
    pt_br: str
    en: str


@dataclass
class RefusalWatch:
    """Refused webhook requests of one kind, in O(1) memory whatever the flood: the times of
    the last ``burst`` refusals, and the episode (first refusal of the burst, count since)."""

    burst: int
    window_s: float
    _recent: deque[float] = field(default_factory=deque)
    last_at: float | None = None
    episode_since: float | None = None
    episode_count: int = 0
    largest: int = 0  # the largest size said (bodies over the limit)

    def note(self, now: float, size: int = 0) -> None:
        if self.episode_since is not None and not self.active(now):
            self.episode_since, self.episode_count = None, 0
        self.last_at = now
        self._recent.append(now)
        while len(self._recent) > self.burst:
            self._recent.popleft()
        full = len(self._recent) == self.burst
        if self.episode_since is None and full and now - self._recent[0] <= self.window_s:
            self.episode_since, self.episode_count = self._recent[0], self.burst - 1
            self.largest = 0
        if self.episode_since is not None:
            self.episode_count += 1
            self.largest = max(self.largest, size)

    def active(self, now: float) -> bool:
        return (
            self.episode_since is not None
            and self.last_at is not None
            and now - self.last_at <= QUIET_S
        )


def forged_watch() -> RefusalWatch:
    return RefusalWatch(FORGED_MIN, FORGED_WINDOW_S)


def too_large_watch() -> RefusalWatch:
    return RefusalWatch(1, FORGED_WINDOW_S)


@dataclass(frozen=True)
class Episode:
    since: datetime
    count: int
    largest: int = 0


@dataclass(frozen=True)
class FaultFacts:
    now: datetime
    tz: ZoneInfo
    graph_failing_since: datetime | None = None
    graph_last_failure_at: datetime | None = None
    graph_streak_failures: int = 0
    graph_streak_timeouts: int = 0
    throttled_since: datetime | None = None
    throttled_streak: int = 0
    window_closed_templates: int = 0
    window_closed_last_at: datetime | None = None
    # The webhook-silence trigger's evidence (pt-BR, English) while it fires, else None.
    silence: tuple[str, str] | None = None
    forged: Episode | None = None
    too_large: Episode | None = None
    max_body_bytes: int = 0
    # Each configured template Meta refuses: (template key, pt-BR, English).
    template_problems: tuple[tuple[str, str, str], ...] = ()


def _local(dt: datetime, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def standing(f: FaultFacts) -> list[StandingAlert]:
    """The alerts that must be open now."""
    found = [
        a
        for a in (_graph(f), _throttled(f), _window_closed(f), _silence(f), _forged(f))
        if a is not None
    ]
    if f.too_large is not None:
        found.append(_too_large(f.too_large, f.max_body_bytes, f.tz))
    found += [
        StandingAlert(TEMPLATE_PROBLEM, key, "warning", pt, en)
        for key, pt, en in f.template_problems
    ]
    return found


def _graph(f: FaultFacts) -> StandingAlert | None:
    since, last, n = f.graph_failing_since, f.graph_last_failure_at, f.graph_streak_failures
    if since is None or last is None or n < STREAK_MIN or f.now - last > STILL_FAILING:
        return None
    at, hung = _local(since, f.tz), f.graph_streak_timeouts
    pt = (
        f"A API da Meta está instável: {n} envios seguidos sem resposta válida desde {at} "
        f"({n - hung} com erro 5xx, {hung} sem resposta no prazo). Os envios com erro são "
        "tentados de novo sozinhos; os que ficaram sem resposta ficam incertos e não são "
        "reenviados (nada sai duas vezes). Confira metastatus.com; o alerta se resolve quando a "
        "Meta voltar a responder."
    )
    en = (
        f"Meta's API is unstable: {n} sends in a row got no valid answer since {at} "
        f"({n - hung} with a 5xx, {hung} unanswered in time). Those with an error are retried "
        "by themselves; the unanswered ones stay uncertain and are not sent again (nothing goes "
        "twice). Check metastatus.com; the alert resolves once Meta answers again."
    )
    return StandingAlert(GRAPH_UNSTABLE, SUBJECT, "warning", pt, en)


def _throttled(f: FaultFacts) -> StandingAlert | None:
    if f.throttled_since is None or f.throttled_streak < STREAK_MIN:
        return None
    at, n = _local(f.throttled_since, f.tz), f.throttled_streak
    pt = (
        f"A Meta está limitando a velocidade dos envios (erro 130429): {n} envios recusados "
        f"desde {at}. Eles são tentados de novo sozinhos em instantes; se continuar, diminua "
        "whatsapp.messages_per_second. O alerta se resolve no próximo envio aceito."
    )
    en = (
        f"Meta is throttling sends (error 130429): {n} sends refused since {at}. They are "
        "retried by themselves shortly; if it goes on, lower whatsapp.messages_per_second. The "
        "alert resolves at the next accepted send."
    )
    return StandingAlert(THROTTLED, SUBJECT, "warning", pt, en)


def _window_closed(f: FaultFacts) -> StandingAlert | None:
    if not f.window_closed_templates or f.window_closed_last_at is None:
        return None
    at, n = _local(f.window_closed_last_at, f.tz), f.window_closed_templates
    pt = (
        f"A Meta recusou {n} lembrete(s) ou aviso(s) com o erro 131047 (janela de 24 h), o "
        f"último em {at}, embora modelos possam sair fora da janela: esses clientes não foram "
        "avisados. Fale com eles por outro canal (veja as mensagens ignoradas) e confira o "
        "modelo no Gerenciador do WhatsApp. O alerta se resolve quando um modelo for aceito."
    )
    en = (
        f"Meta refused {n} reminder(s) or notice(s) with error 131047 (24 h window), the last "
        f"at {at}, though templates may go outside the window: those clients were not told. "
        "Reach them another way (see the skipped messages) and check the template in WhatsApp "
        "Manager. The alert resolves once a template send is accepted."
    )
    return StandingAlert(WINDOW_CLOSED, SUBJECT, "warning", pt, en)


def _silence(f: FaultFacts) -> StandingAlert | None:
    if f.silence is None:
        return None
    pt, en = f.silence
    return StandingAlert(
        SILENCE,
        SUBJECT,
        "warning",
        f"Webhooks da Meta não estão chegando em horário comercial: {pt} Confira a assinatura "
        "do webhook no app da Meta e se o endereço público responde; o alerta se resolve quando "
        "um webhook chegar.",
        f"Meta's webhooks are not arriving during business hours: {en} Check the webhook "
        "subscription in Meta's app and that the public address answers; the alert resolves "
        "once a webhook arrives.",
    )


def _forged(f: FaultFacts) -> StandingAlert | None:
    if f.forged is None:
        return None
    at, n = _local(f.forged.since, f.tz), f.forged.count
    return StandingAlert(
        FORGED,
        SUBJECT,
        "warning",
        f"{n} webhooks com assinatura inválida desde {at}: alguém envia webhooks falsos ao "
        "endereço público, ou o app secret mudou na Meta. Eles são recusados com 401 e nada é "
        "gravado. Se o app secret mudou, atualize whatsapp.app_secret_file; senão, bloqueie a "
        "origem no proxy. O alerta se resolve após 10 min sem nenhum.",
        f"{n} webhooks with a bad signature since {at}: someone posts forged webhooks to the "
        "public address, or the app secret changed at Meta. They are refused with 401 and "
        "nothing is stored. If the app secret changed, update whatsapp.app_secret_file; else "
        "block the source at the proxy. The alert resolves after 10 min without one.",
    )


def _too_large(e: Episode, limit: int, tz: ZoneInfo) -> StandingAlert:
    at = _local(e.since, tz)
    return StandingAlert(
        TOO_LARGE,
        SUBJECT,
        "warning",
        f"{e.count} webhook(s) maior(es) que o limite de {limit} bytes desde {at} foram "
        "recusados com 413 (http.max_body_bytes). Se vieram da Meta, ela reenvia e eles serão "
        "recusados de novo: aumente http.max_body_bytes; senão, bloqueie a origem. O alerta se "
        "resolve após 10 min sem nenhum.",
        f"{e.count} webhook(s) over the {limit}-byte limit since {at} were refused with 413 "
        "(http.max_body_bytes). If Meta sent them it sends them again and they are refused "
        "again: raise http.max_body_bytes; else block the source. The alert resolves after "
        "10 min without one.",
    )
