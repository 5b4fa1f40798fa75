"""When the daemon opens an incident by itself (the WhatsApp incident SOP's trigger criteria).

The incident monitor gathers the facts (``TriggerFacts``) from storage and from what the
actors know; ``evaluate`` says which causes fire now, each with the instant its fault began
and the evidence in both languages. Thresholds come from the ``[incidents]`` config section.

Causes and severities:

- ``auth_broken`` (sev1): Meta refused the token (error 190; sending is paused, the
  connection is in ``error``).
- ``graph_unstable`` (sev2, "instabilidade externa (Meta)"): every send for over
  ``graph_failure_min`` minutes met a 5xx or a timeout, and it is still failing.
- ``webhook_silence`` (sev2): during business hours, Meta accepted a send and not one
  webhook has arrived for ``webhook_silence_min`` minutes since.
- ``send_failures`` (sev2): more than ``failure_rate_percent`` of the real sends of the last
  ``failure_window_min`` minutes failed (with at least ``failure_min_sends`` sends).
- ``storage_fault`` (sev1): the database does not take writes.
- ``actor_crash_loop`` (sev1): an internal process is restarting in a loop.

One open incident per cause: the monitor joins a firing cause to its open incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from recado.rules.business_hours import Span, within

SEV1, SEV2 = "sev1", "sev2"
CAUSES = (
    "auth_broken",
    "graph_unstable",
    "webhook_silence",
    "send_failures",
    "storage_fault",
    "actor_crash_loop",
)
MANUAL = "manual"
SEVERITY = {
    "auth_broken": SEV1,
    "graph_unstable": SEV2,
    "webhook_silence": SEV2,
    "send_failures": SEV2,
    "storage_fault": SEV1,
    "actor_crash_loop": SEV1,
}
TITLES = {
    "auth_broken": (
        "WhatsApp fora do ar: a Meta recusou o token",
        "WhatsApp down: Meta refused the token",
    ),
    "graph_unstable": ("Instabilidade externa (Meta)", "External instability (Meta)"),
    "webhook_silence": (
        "Webhooks da Meta não estão chegando",
        "Meta's webhooks are not arriving",
    ),
    "send_failures": (
        "Falhas de envio do WhatsApp acima do normal",
        "WhatsApp send failures above normal",
    ),
    "storage_fault": (
        "Armazenamento não aceita gravações",
        "Storage does not take writes",
    ),
    "actor_crash_loop": (
        "Processo interno reiniciando em loop",
        "Internal process restarting in a loop",
    ),
}


LOOP_FAILURES = 5
HEALTHY_AFTER_S = 60.0


def restarting_in_a_loop(
    flagged: bool, consecutive_failures: int, running: bool, up_for_s: float
) -> bool:
    """The supervisor's crash loop (five failures within a minute), or five failures in a
    row without staying up a minute in between: the supervisor's growing backoff spreads the
    failures past a minute, and an actor failing every 30 s is still restarting in a loop."""
    if flagged:
        return True
    return consecutive_failures >= LOOP_FAILURES and (not running or up_for_s < HEALTHY_AFTER_S)


@dataclass(frozen=True)
class TriggerRules:
    graph_failure_s: float
    webhook_silence_s: float
    failure_rate: float  # a fraction: 0.10 for 10 %
    failure_window_s: float
    failure_min_sends: int
    business_hours: tuple[Span, ...]
    tz: ZoneInfo


@dataclass(frozen=True)
class TriggerFacts:
    now: datetime
    mode: str  # disabled | dry_run | enabled
    auth_broken_since: datetime | None = None
    # The current streak of real sends that met a 5xx or a timeout (no Graph answer since).
    graph_failing_since: datetime | None = None
    graph_last_failure_at: datetime | None = None
    graph_streak_failures: int = 0
    # The first real send Meta accepted after the newest webhook (None: none since).
    first_unanswered_send_at: datetime | None = None
    last_webhook_at: datetime | None = None
    # Real send attempts finished in the failure-rate window, and how many failed.
    window_sends: int = 0
    window_failures: int = 0
    window_first_failure_at: datetime | None = None
    storage_fault: str | None = None  # the fault kind
    storage_fault_since: datetime | None = None
    crash_looping: tuple[str, ...] = ()
    crash_loop_since: datetime | None = None


@dataclass(frozen=True)
class Trigger:
    cause: str
    severity: str
    since: datetime  # when the fault began, as far as the facts tell
    title_pt: str
    title_en: str
    evidence_pt: str
    evidence_en: str


def _local(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M") if dt else "—"


def _trigger(cause: str, since: datetime, pt: str, en: str) -> Trigger:
    title_pt, title_en = TITLES[cause]
    return Trigger(cause, SEVERITY[cause], since, title_pt, title_en, pt, en)


def evaluate(f: TriggerFacts, r: TriggerRules) -> list[Trigger]:
    """The causes that fire now, in the order of ``CAUSES``."""
    found = [
        t
        for t in (
            _auth(f, r),
            _graph(f, r),
            _silence(f, r),
            _failure_rate(f, r),
            _storage(f, r),
            _crash_loop(f, r),
        )
        if t is not None
    ]
    return sorted(found, key=lambda t: CAUSES.index(t.cause))


def _auth(f: TriggerFacts, r: TriggerRules) -> Trigger | None:
    if f.auth_broken_since is None:
        return None
    at = _local(f.auth_broken_since, r.tz)
    return _trigger(
        "auth_broken",
        f.auth_broken_since,
        f"A Meta recusou o token de acesso em {at} (erro 190); os envios estão pausados até "
        "a conexão ser refeita.",
        f"Meta refused the access token at {at} (error 190); sending is paused until the "
        "connection is made again.",
    )


def _graph(f: TriggerFacts, r: TriggerRules) -> Trigger | None:
    since, last = f.graph_failing_since, f.graph_last_failure_at
    if since is None or last is None or f.graph_streak_failures < 2:
        return None
    window = timedelta(seconds=r.graph_failure_s)
    # Failing for long enough, and still failing (not a streak that ended with nothing sent).
    if f.now - since < window or f.now - last > window:
        return None
    minutes = int((f.now - since).total_seconds() // 60)
    return _trigger(
        "graph_unstable",
        since,
        f"{f.graph_streak_failures} envios seguidos receberam erro 5xx ou tempo esgotado da "
        f"API da Meta desde {_local(since, r.tz)} ({minutes} min).",
        f"{f.graph_streak_failures} sends in a row met a 5xx or a timeout from Meta's API "
        f"since {_local(since, r.tz)} ({minutes} min).",
    )


def _silence(f: TriggerFacts, r: TriggerRules) -> Trigger | None:
    sent = f.first_unanswered_send_at
    if f.mode != "enabled" or sent is None:
        return None
    if f.now - sent < timedelta(seconds=r.webhook_silence_s):
        return None
    if not within(r.business_hours, f.now.astimezone(r.tz)):
        return None
    last = _local(f.last_webhook_at, r.tz)
    return _trigger(
        "webhook_silence",
        sent,
        f"A Meta aceitou envios desde {_local(sent, r.tz)}, mas nenhum webhook chegou depois "
        f"disso (último recebido: {last}).",
        f"Meta has accepted sends since {_local(sent, r.tz)}, but no webhook has arrived "
        f"since then (last received: {last}).",
    )


def _failure_rate(f: TriggerFacts, r: TriggerRules) -> Trigger | None:
    if f.window_sends < r.failure_min_sends or f.window_sends == 0:
        return None
    rate = f.window_failures / f.window_sends
    if rate <= r.failure_rate:
        return None
    since = f.window_first_failure_at or f.now
    minutes = int(r.failure_window_s // 60)
    percent = f"{rate * 100:.0f}"
    return _trigger(
        "send_failures",
        since,
        f"{f.window_failures} de {f.window_sends} envios falharam nos últimos {minutes} min "
        f"({percent} %, o limite é {r.failure_rate * 100:.0f} %).",
        f"{f.window_failures} of {f.window_sends} sends failed in the last {minutes} min "
        f"({percent} %, the limit is {r.failure_rate * 100:.0f} %).",
    )


def _storage(f: TriggerFacts, r: TriggerRules) -> Trigger | None:
    if f.storage_fault is None:
        return None
    since = f.storage_fault_since or f.now
    return _trigger(
        "storage_fault",
        since,
        f"O banco de dados não aceita gravações desde {_local(since, r.tz)} ({f.storage_fault}).",
        f"The database has not taken writes since {_local(since, r.tz)} ({f.storage_fault}).",
    )


def _crash_loop(f: TriggerFacts, r: TriggerRules) -> Trigger | None:
    if not f.crash_looping:
        return None
    names = ", ".join(sorted(f.crash_looping))
    since = f.crash_loop_since or f.now
    return _trigger(
        "actor_crash_loop",
        since,
        f"Reiniciando em loop: {names}.",
        f"Restarting in a loop: {names}.",
    )
