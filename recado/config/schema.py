"""The config file's schema: one msgspec Struct per section (docs/reference.md §3). Unknown
keys are errors; secrets are filled in by the loader, never read from the file."""

from __future__ import annotations

from pathlib import Path

import msgspec

from recado.rules.contingency import DEFAULT_TEXT
from recado.rules.graph_versions import DEFAULT_VERSION
from recado.rules.incident_sla import DEFAULT_SLA


class _S(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class DaemonSection(_S, frozen=True):
    data_dir: str = "./var"
    timezone: str = "America/Sao_Paulo"
    shutdown_grace_s: float = 10
    log_level: str = "info"
    # Resolved, not read from the file: the config file's directory.
    base_dir: str = ""

    @property
    def data_path(self) -> Path:
        path = Path(self.data_dir)
        return path if path.is_absolute() else (Path(self.base_dir) / path).resolve()


class HttpSection(_S, frozen=True):
    public_listen: str = "127.0.0.1:8080"
    operator_listen: str = "127.0.0.1:8081"
    public_base_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = 4_194_304
    operator_public_ok: bool = False
    public_max_connections: int = 256
    operator_max_connections: int = 64
    public_body_timeout_s: float = 10
    header_timeout_s: float = 10
    keep_alive_s: float = 15
    connection_lifetime_s: float = 300
    send_timeout_s: float = 30
    # Names (name or name:port) a proxy in front of the operator listener gives it as Host.
    operator_hosts: list[str] = msgspec.field(default_factory=list)
    # Where people open the operator pages (links in chat messages); empty: the operator
    # listener's own address.
    operator_base_url: str = ""


class SecuritySection(_S, frozen=True):
    api_key_file: str = ""
    secret_key_file: str = ""
    # The master key before a change, for the one start that re-wraps the data keys.
    previous_secret_key_file: str = ""
    api_key: str = ""
    secret_key: str = ""
    previous_secret_key: str = ""


class UiSection(_S, frozen=True):
    locale: str = "pt-BR"


class StudioSection(_S, frozen=True):
    name: str = "Studio"
    location_line: str = ""
    booking_url: str = ""
    # ISO 3166 country of the studio: the region of a phone written without "+", and the
    # one whose numbers pages show in national format.
    country: str = "BR"


_PARAMS = ["client_name", "service", "date", "time", "location"]
_BUTTONS = ["CONFIRM", "RESCHEDULE", "TALK"]


class Template(_S, frozen=True):
    name: str
    language: str = "pt_BR"
    body_params: list[str] = msgspec.field(default_factory=lambda: list(_PARAMS))
    buttons: list[str] = msgspec.field(default_factory=list)
    # "named": each value goes with its parameter name (Meta's NAMED templates), the names in
    # param_names (one per body_params entry) or, when empty, body_params themselves.
    parameter_format: str = "positional"
    param_names: list[str] = msgspec.field(default_factory=list)

    @property
    def named(self) -> bool:
        return self.parameter_format == "named"

    @property
    def sent_names(self) -> list[str]:
        """The parameter names a named send carries, in body_params' order."""
        return list(self.param_names or self.body_params)


def _default_templates() -> dict[str, Template]:
    return {
        "appointment_created": Template(
            name="aviso_de_agendamento", body_params=list(_PARAMS), buttons=list(_BUTTONS)
        ),
        "appointment_reminder": Template(
            name="confirmacao_de_agendamento_24h",
            body_params=list(_PARAMS),
            buttons=list(_BUTTONS),
        ),
    }


class WhatsAppSection(_S, frozen=True):
    mode: str = "dry_run"
    kill_switch: bool = False
    allowlist: list[str] = msgspec.field(default_factory=list)
    test_recipient: str = ""
    graph_base_url: str = "https://graph.facebook.com"
    api_version: str = DEFAULT_VERSION
    phone_number_id: str = ""
    waba_id: str = ""
    access_token_file: str = ""
    app_id: str = ""
    app_secret_file: str = ""
    verify_token_file: str = ""
    max_attempts: int = 5
    retry_base_s: float = 30
    retry_cap_s: float = 3600
    messages_per_second: float = 20
    reminder_hours_before: float = 24
    uncertain_timeout_s: float = 600
    embedded_signup_enabled: bool = False
    es_config_id: str = ""
    register_pin_file: str = ""
    override_callback_uri: str = ""
    sdk_url: str = "https://connect.facebook.net/en_US/sdk.js"
    # The origin the signup page takes Embedded Signup message events from (and its
    # subdomains): Meta's, or the Graph double's in tests.
    signup_origin: str = "https://facebook.com"
    templates: dict[str, Template] = msgspec.field(default_factory=_default_templates)
    access_token: str = ""
    app_secret: str = ""
    verify_token: str = ""
    register_pin: str = ""


class BreakerSettings(_S, frozen=True):
    failure_threshold: int = 5
    open_s: float = 60


class Service(_S, frozen=True):
    name: str
    base_url: str
    auth_header: str = "Authorization"
    auth_value_file: str = ""
    timeout_s: float = 10
    max_attempts: int = 5  # per delivery, then dead (DLQ)
    breaker: BreakerSettings = msgspec.field(default_factory=BreakerSettings)
    auth_value: str = ""


class DelayedAction(_S, frozen=True):
    action: str
    delay: str = "0s"
    body: str = "envelope"  # envelope | chat (a Slack-compatible {"text": ...})


class Flow(_S, frozen=True):
    event: str
    actions: list[str | DelayedAction] = msgspec.field(default_factory=list)


class SyncJob(_S, frozen=True):
    name: str
    schedule: str
    source: str
    target: str


class SlaPriority(_S, frozen=True):
    """One priority of the support runbook; 0 means the clock is not tracked."""

    response_min: float = 0
    workaround_min: float = 0
    postmortem_h: float = 0


def _default_sla() -> dict[str, SlaPriority]:
    return {
        name: SlaPriority(
            response_min=t.response_min or 0,
            workaround_min=t.workaround_min or 0,
            postmortem_h=t.postmortem_h or 0,
        )
        for name, t in DEFAULT_SLA.items()
    }


def _default_hours() -> list[str]:
    return ["mon-fri 08:00-18:00", "sat 08:00-12:00"]


class IncidentsSection(_S, frozen=True):
    """The WhatsApp incident SOP's thresholds, cadence and contingency reply."""

    automatic: bool = True  # open incidents from the trigger rules (by hand always works)
    check_interval_s: float = 20
    business_hours: list[str] = msgspec.field(default_factory=_default_hours)
    graph_failure_min: float = 5
    webhook_silence_min: float = 30
    failure_rate_percent: float = 10
    failure_window_min: float = 30
    failure_min_sends: int = 10
    update_interval_min: float = 30
    normal_flow_min: float = 30
    contingency_text: str = DEFAULT_TEXT
    contingency_channel: str = "email"  # email | phone
    contingency_contact: str = ""
    sla: dict[str, SlaPriority] = msgspec.field(default_factory=_default_sla)


class RetentionSection(_S, frozen=True):
    """How long each kind of row is kept (docs/reference.md §2.6), and when and how the daily
    retention run deletes: in batches of ``batch_rows``, from ``hour`` (studio time)."""

    raw_bodies_days: int = 30
    messages_days: int = 400
    statuses_days: int = 400
    attempts_days: int = 400
    deliveries_days: int = 400
    events_days: int = 400
    batch_rows: int = 500
    hour: int = 4


class BackupSection(_S, frozen=True):
    """Backups on a schedule (docs/reference.md): a cron expression in the studio's zone
    (empty: none scheduled), the directory (relative to the data directory) and how many of
    them are kept."""

    schedule: str = ""
    dir: str = "backups"
    keep: int = 7


class Config(_S, frozen=True):
    daemon: DaemonSection = msgspec.field(default_factory=DaemonSection)
    http: HttpSection = msgspec.field(default_factory=HttpSection)
    security: SecuritySection = msgspec.field(default_factory=SecuritySection)
    ui: UiSection = msgspec.field(default_factory=UiSection)
    studio: StudioSection = msgspec.field(default_factory=StudioSection)
    whatsapp: WhatsAppSection = msgspec.field(default_factory=WhatsAppSection)
    services: list[Service] = msgspec.field(default_factory=list)
    flows: list[Flow] = msgspec.field(default_factory=list)
    sync: list[SyncJob] = msgspec.field(default_factory=list)
    incidents: IncidentsSection = msgspec.field(default_factory=IncidentsSection)
    retention: RetentionSection = msgspec.field(default_factory=RetentionSection)
    backup: BackupSection = msgspec.field(default_factory=BackupSection)

    def secret_values(self) -> list[str]:
        values = [
            self.security.api_key,
            self.security.secret_key,
            self.security.previous_secret_key,
            self.whatsapp.access_token,
            self.whatsapp.register_pin,
            self.whatsapp.app_secret,
            self.whatsapp.verify_token,
            *(s.auth_value for s in self.services),
        ]
        return [v for v in values if v]


# Keys filled by the loader, never read from the file; the secret ones say where to put them.
_SECRETS: dict[type[_S], tuple[str, ...]] = {
    SecuritySection: ("api_key", "secret_key", "previous_secret_key"),
    WhatsAppSection: ("access_token", "app_secret", "verify_token", "register_pin"),
    Service: ("auth_value",),
}
_RESOLVED: dict[type[_S], tuple[str, ...]] = {DaemonSection: ("base_dir",)}

RELOADABLE = (
    "whatsapp.mode",
    "whatsapp.kill_switch",
    "whatsapp.allowlist",
    "whatsapp.test_recipient",
    # A new token (its file re-read) ends a pause Meta's refusal of the old one set.
    "whatsapp.access_token",
    "daemon.log_level",
    "ui.locale",
    "studio.",
    # Read by the incident monitor on every evaluation.
    "incidents.",
)
