"""The daemon's health as pure functions of facts it gathers (``runtime/health.py``): the
dashboard's status, ``/readyz`` and what the systemd watchdog pings vouch for.

Readiness: storage open and not failing, every actor running, and the daemon past its start
(not stopping). The watchdog: the event loop runs (the check runs on it) and storage is
open; an actor in a crash loop is no reason, since systemd would restart the whole daemon in
a loop and data never heals by restarting (the dashboard and an alert say it instead).

Dashboard (docs/reference.md §9.1):

critical: WhatsApp auth broken in enabled mode, storage not writable, an actor restarting in
a loop. degraded: the last reload refused (the running config kept), a sync job's last run
failed, a breaker open, DLQ ≥ 10, retry queue > 50, event success < 95 % today,
a sync job with > 2 failed runs in 24 h or set aside (its schedule has no next fire), a
webhook body that failed, pending events > 100, a listener's connection cap hit in the last
ten minutes, no app secret in enabled mode, the last good scheduled backup older than twice
the schedule's interval,
a configured template Meta's definition refuses (paused, other parameters …; linked to the
templates page), the Graph API version within 90 days of its expiry or past it
(``rules/graph_versions``). Info: the last read of the templates failed (the last known
ones apply).
paused: the kill switch is on — a deliberate operator choice, not a fault, shown amber so
nobody mistakes a silent daemon for a healthy one. Without an app secret outside "enabled"
mode (a fresh dry_run install) the daemon is healthy with a notice: nothing real is sent yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from recado.rules.connection_cap import recent_hit_text
from recado.rules.graph_versions import DEFAULT_VERSION, expiry_warning
from recado.rules.storage_faults import FAULT_ACTIONS, FAULT_NAMES
from recado.rules.system_alerts import (
    CRASH_LOOP,
    RELOAD_REFUSED,
    SYNC_FAILED,
    crash_loop_texts,
    reload_refused_texts,
    sync_failed_texts,
)

DLQ_DEGRADED = 10
RETRY_QUEUE_DEGRADED = 50
EVENT_SUCCESS_MIN = 0.95
SYNC_FAILURES_DEGRADED = 2
PENDING_EVENTS_DEGRADED = 100


@dataclass(frozen=True)
class RuntimeFacts:
    """What the running daemon knows of itself right now."""

    storage_open: bool
    # The storage fault in force: its kind, since when (stored text) and what SQLite said.
    storage_fault: tuple[str, str, str] | None = None
    # Each supervised actor's state (starting | running | backoff | crash_loop | stopped).
    actor_states: dict[str, str] = field(default_factory=dict)
    crash_looping: tuple[str, ...] = ()
    started: bool = True  # past its start and not stopping


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reasons: list[str]


def readiness(f: RuntimeFacts) -> Readiness:
    reasons = []
    if not f.storage_open:
        reasons.append("storage is not open")
    if f.storage_fault is not None:
        kind, since, detail = f.storage_fault
        reasons.append(f"storage fault since {since}: {kind} ({detail})")
    for name, state in f.actor_states.items():
        if state != "running":
            shown = "crash_loop" if name in f.crash_looping else state
            reasons.append(f"actor {name} is {shown}")
    if not f.started:
        reasons.append("the daemon is starting or stopping")
    return Readiness(not reasons, reasons)


def public_readiness(f: RuntimeFacts) -> Readiness:
    """Readiness as the public listener tells it to anyone on the internet: the verdict and
    coarse codes, never a path, an SQLite message or the daemon's inner parts (the operator
    listener's ``/readyz`` has them)."""
    reasons = []
    if not f.storage_open or f.storage_fault is not None:
        reasons.append("storage_unavailable")
    if any(state != "running" for state in f.actor_states.values()):
        reasons.append("actor_not_running")
    if not f.started:
        reasons.append("starting_or_stopping")
    return Readiness(not reasons, reasons)


@dataclass(frozen=True)
class Liveness:
    alive: bool
    why_not: str = ""


def watchdog(f: RuntimeFacts) -> Liveness:
    """Whether the watchdog ping goes out."""
    return Liveness(True) if f.storage_open else Liveness(False, "storage closed")


@dataclass(frozen=True)
class HealthFacts:
    mode: str
    whatsapp_auth_broken: bool = False
    storage_writable: bool = True
    # The kind of the storage fault in force (commits failing), and since when (local time).
    storage_fault: str | None = None
    storage_fault_since: str = ""
    crash_looping_actors: tuple[str, ...] = ()
    open_breakers: tuple[str, ...] = ()
    dlq_total: int = 0
    retry_queue_total: int = 0
    events_today_total: int = 0
    events_today_processed: int = 0
    events_today_failed: int = 0
    # Failed runs of each sync job in the last 24 h (not necessarily in a row).
    sync_recent_failures: dict[str, int] = field(default_factory=dict)
    # Sync jobs set aside (not scheduled): (code, what happened), code "schedule" (it has
    # no next fire) or "internal_error".
    sync_set_aside: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Jobs whose last run failed (its cursor kept), with the run's error.
    sync_last_failed: dict[str, str] = field(default_factory=dict)
    # The problems of the last reload, refused (the running config kept), and the file.
    reload_refused: tuple[str, ...] | None = None
    config_path: str = ""
    # Webhook bodies whose processing failed (not for storage's sake): received, not applied.
    webhooks_failed: int = 0
    pending_events: int = 0
    app_secret_configured: bool = False
    kill_switch: bool = False
    # Future appointments with no messages planned (accepted while mode was "disabled").
    unplanned_appointments: int = 0
    # The Embedded Signup connection: why it is in error, and a warning about its token.
    connection_error: tuple[str, str] | None = None
    connection_warning: tuple[str, str] | None = None
    # Each configured template Meta's definition refuses: the difference (pt-BR, English).
    template_problems: tuple[tuple[str, str], ...] = ()
    # Why the last read of the WABA's templates failed (pt-BR, English), or None.
    template_sync_failed: tuple[str, str] | None = None
    # ``whatsapp.api_version`` and the studio's day: a version near its expiry degrades.
    api_version: str = ""
    today: date | None = None
    # Listeners whose connection cap refused connections lately, with their caps.
    connection_caps_hit: tuple[tuple[str, int], ...] = ()
    # The last good scheduled backup is older than twice the schedule's interval: why
    # (pt-BR, English), or None.
    backup_stale: tuple[str, str] | None = None
    # The WhatsApp side's standing alerts open now (rules/whatsapp_faults.py): (code, pt-BR,
    # English), as the alert rows say them.
    standing_alerts: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Reason:
    code: str
    severity: str  # critical | degraded | paused | info
    pt_br: str
    en: str
    href: str | None = None  # the page that tells more

    def text(self, locale: str) -> str:
        return self.en if locale == "en" else self.pt_br


@dataclass(frozen=True)
class Health:
    status: str
    reasons: list[Reason]


def evaluate(f: HealthFacts) -> Health:
    reasons: list[Reason] = []
    add = reasons.append
    if f.whatsapp_auth_broken and f.mode == "enabled":
        add(
            Reason(
                "whatsapp_auth",
                "critical",
                "O token do WhatsApp foi recusado pela Meta; os envios estão pausados e as "
                "mensagens esperam na fila. Reconecte o WhatsApp (Conectar WhatsApp, ou "
                '"Reconectar" no incidente); os envios voltam sozinhos quando a Meta aceitar '
                "o token.",
                "Meta refused the WhatsApp token; sending is paused and messages wait in the "
                'queue. Reconnect WhatsApp (Connect WhatsApp, or "Reconnect" on the '
                "incident); sending resumes by itself once Meta takes the token.",
            )
        )
    if f.connection_error is not None:
        pt, en = f.connection_error
        add(
            Reason(
                "whatsapp_connection",
                "critical" if f.mode == "enabled" else "degraded",
                f"A conexão do WhatsApp está com erro: {pt}",
                f"The WhatsApp connection is in error: {en}",
            )
        )
    if f.connection_warning is not None:
        add(Reason("whatsapp_token_expiring", "degraded", *f.connection_warning))
    if f.storage_fault is not None:
        pt, en = FAULT_NAMES.get(f.storage_fault, FAULT_NAMES["io_error"])
        do_pt, do_en = FAULT_ACTIONS.get(f.storage_fault, FAULT_ACTIONS["io_error"])
        add(
            Reason(
                f"storage_{f.storage_fault}",
                "critical",
                f"O banco de dados não aceita gravações desde {f.storage_fault_since}: {pt}. "
                f"Webhooks e eventos são respondidos com 503 para serem reenviados; {do_pt}; "
                "tudo é retomado quando o banco voltar a gravar.",
                f"The database has refused writes since {f.storage_fault_since}: {en}. "
                f"Webhooks and events are answered 503 so they are sent again; {do_en}; "
                "everything resumes once the database takes writes again.",
            )
        )
    elif not f.storage_writable:
        add(
            Reason(
                "storage",
                "critical",
                "O banco de dados não está aceitando gravações.",
                "The database is not accepting writes.",
            )
        )
    for name in f.crash_looping_actors:
        add(Reason(CRASH_LOOP, "critical", *crash_loop_texts(name), href="/alerts"))
    if f.reload_refused is not None:
        pt, en = reload_refused_texts(f.config_path, f.reload_refused)
        add(Reason(RELOAD_REFUSED, "degraded", pt, en, href="/alerts"))
    for name in f.open_breakers:
        add(
            Reason(
                "breaker_open",
                "degraded",
                f"O serviço {name} está com o disjuntor aberto (envios em espera).",
                f"The circuit breaker of {name} is open (deliveries wait).",
            )
        )
    if f.dlq_total >= DLQ_DEGRADED:
        add(
            Reason(
                "dlq",
                "degraded",
                f"{f.dlq_total} itens na fila de mensagens mortas.",
                f"{f.dlq_total} items in the dead-letter queue.",
            )
        )
    if f.retry_queue_total > RETRY_QUEUE_DEGRADED:
        add(
            Reason(
                "retry_queue",
                "degraded",
                f"{f.retry_queue_total} entregas aguardando nova tentativa.",
                f"{f.retry_queue_total} deliveries waiting to be retried.",
            )
        )
    done = f.events_today_processed + f.events_today_failed
    if done and f.events_today_processed / done < EVENT_SUCCESS_MIN:
        rate = f.events_today_processed / done
        add(
            Reason(
                "event_success",
                "degraded",
                f"Só {rate:.0%} dos eventos de hoje foram processados com sucesso.",
                f"Only {rate:.0%} of today's events were processed successfully.",
            )
        )
    for name, failures in sorted(f.sync_recent_failures.items()):
        if failures > SYNC_FAILURES_DEGRADED:
            add(
                Reason(
                    "sync_failures",
                    "degraded",
                    f"A sincronização {name} falhou {failures} vezes nas últimas 24 h.",
                    f"The sync job {name} failed {failures} times in the last 24 h.",
                    href="/sync",
                )
            )
    for name, error in sorted(f.sync_last_failed.items()):
        add(Reason(SYNC_FAILED, "degraded", *sync_failed_texts(name, error), href="/sync"))
    for name, (code, detail) in sorted(f.sync_set_aside.items()):
        add(_sync_set_aside(name, code, detail))
    if f.webhooks_failed:
        n = f.webhooks_failed
        add(
            Reason(
                "webhooks_failed",
                "degraded",
                f"{n} webhook(s) recebido(s) não puderam ser processados; veja a página de "
                "webhooks e reprocesse com recado webhooks replay.",
                f"{n} received webhook(s) could not be processed; see the webhooks page and "
                "process them again with recado webhooks replay.",
                href="/webhooks?state=failed",
            )
        )
    for listener, cap in f.connection_caps_hit:
        pt, en = recent_hit_text(listener, cap)
        add(Reason("connection_cap", "degraded", pt, en, href="/alerts"))
    if f.backup_stale is not None:
        add(Reason("backup_stale", "degraded", *f.backup_stale, href="/backups"))
    for code, pt, en in f.standing_alerts:
        add(Reason(code, "degraded", pt, en, href="/alerts"))
    if f.pending_events > PENDING_EVENTS_DEGRADED:
        add(
            Reason(
                "pending_events",
                "degraded",
                f"{f.pending_events} eventos aguardando processamento.",
                f"{f.pending_events} events waiting to be processed.",
            )
        )
    if not f.app_secret_configured:
        # Outside "enabled" nothing real is sent and the config cannot require the secret
        # yet: a notice for the operator, not a fault of the daemon.
        enabled = f.mode == "enabled"
        add(
            Reason(
                "no_app_secret",
                "degraded" if enabled else "info",
                "Sem app secret configurado: as assinaturas dos webhooks não são verificadas"
                + ("." if enabled else " (obrigatório antes de ativar os envios reais)."),
                "No app secret configured: webhook signatures are not checked"
                + ("." if enabled else " (required before turning real sends on)."),
            )
        )
    for pt, en in f.template_problems:
        add(Reason("template_problem", "degraded", *template_problem_texts(pt, en), "/templates"))
    if f.template_sync_failed is not None:
        pt, en = f.template_sync_failed
        add(
            Reason(
                "template_sync_failed",
                "info",
                f"A última leitura dos modelos na Meta falhou: {pt} Valem as definições lidas "
                "antes.",
                f"The last read of the templates at Meta failed: {en} The definitions read "
                "before still apply.",
                href="/templates",
            )
        )
    if f.today is not None:
        _api_version(add, f.api_version, f.today)
    if f.mode == "disabled":
        waiting = (
            f" {f.unplanned_appointments} agendamento(s) futuro(s) ainda sem mensagens; "
            "serão planejadas quando o modo mudar."
            if f.unplanned_appointments
            else ""
        )
        waiting_en = (
            f" {f.unplanned_appointments} future appointment(s) have no messages yet; "
            "they are planned when the mode changes."
            if f.unplanned_appointments
            else ""
        )
        add(
            Reason(
                "mode_disabled",
                "info",
                "Envio de WhatsApp desativado (whatsapp.mode = disabled)." + waiting,
                "WhatsApp sending is disabled (whatsapp.mode = disabled)." + waiting_en,
            )
        )
    if f.kill_switch:
        add(
            Reason(
                "kill_switch",
                "paused",
                "Interruptor de emergência ligado: nenhuma mensagem é enviada; "
                "as mensagens esperam na fila até ele ser desligado.",
                "Kill switch on: no message is sent; messages wait in the queue until it "
                "is turned off.",
            )
        )
    return Health(status_of(reasons), reasons)


def template_problem_texts(pt: str, en: str) -> tuple[str, str]:
    """A configured template's problem as the dashboard and its alert say it."""
    return (
        f"{pt} Os envios dele são ignorados até isso mudar.",
        f"{en} Its sends are skipped until that changes.",
    )


def _api_version(add: Callable[[Reason], None], version: str, today: date) -> None:
    expiry = expiry_warning(version, today)
    if expiry is None:
        return
    key = "whatsapp.api_version"
    if expiry.expires_on is None:
        new = DEFAULT_VERSION
        pt = f"A versão {version} da API da Meta já expirou ({key}): use {new} ou mais nova."
        en = f"Meta's API version {version} has expired ({key}): use {new} or newer."
    else:
        on = expiry.expires_on.strftime("%d/%m/%Y")
        if expiry.expired:
            pt = f"A versão {version} da API da Meta expirou em {on} ({key}): atualize-a."
            en = f"Meta's API version {version} expired on {on} ({key}): move it forward."
        else:
            pt = (
                f"A versão {version} da API da Meta expira em {on} ({expiry.days_left} dias); "
                f"atualize {key}."
            )
            en = (
                f"Meta's API version {version} expires on {on} ({expiry.days_left} days); "
                f"move {key} forward."
            )
    add(Reason("api_version_expiring", "degraded", pt, en))


def _sync_set_aside(name: str, code: str, detail: str) -> Reason:
    if code == "schedule":
        return Reason(
            "sync_set_aside",
            "degraded",
            f"A sincronização {name} está parada: a agenda dela não tem próxima execução "
            f"({detail}). Corrija sync.schedule e reinicie; ainda é possível executá-la à mão.",
            f"The sync job {name} is stopped: its schedule has no next fire ({detail}). Fix "
            "sync.schedule and restart; it can still be run by hand.",
            href="/sync",
        )
    return Reason(
        "sync_set_aside",
        "degraded",
        f"A sincronização {name} está parada por um erro interno ({detail}); ela é tentada "
        "de novo a cada 5 minutos.",
        f"The sync job {name} is stopped by an internal error ({detail}); it is tried again "
        "every 5 minutes.",
        href="/sync",
    )


# From worst to best: the dashboard's status is the worst severity among its reasons.
STATUS_ORDER = ("critical", "degraded", "paused", "healthy")


def status_of(reasons: list[Reason]) -> str:
    severities = {r.severity for r in reasons}
    return next((s for s in STATUS_ORDER[:-1] if s in severities), "healthy")


def connection_state(
    configured: bool,
    auth_broken: bool,
    last_accepted_at: str | None,
    record: str | None = None,
) -> str:
    """What the dashboard can truthfully say of the WhatsApp connection: ``not_configured``
    (no token or phone number id), ``error`` (Meta refused the token; sending paused),
    ``active`` (Meta accepted a real send, and no auth error since) or ``configured``
    (set up, but Meta has not confirmed it with an accepted send yet).

    A connection made through Embedded Signup (``record``, its status) is the truth when
    there is one: ``active`` once the signup proved the token and number with Meta,
    ``connecting`` while a signup runs, ``error`` when a step or Meta's verdict failed;
    ``disconnected`` leaves the config file's token (if any) to speak for itself."""
    if record == "active":
        return "error" if auth_broken else "active"
    if record in ("error", "connecting"):
        return record
    if not configured:
        return "disconnected" if record == "disconnected" else "not_configured"
    if auth_broken:
        return "error"
    return "active" if last_accepted_at else "configured"
