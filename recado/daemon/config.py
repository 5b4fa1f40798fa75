"""The config file (CONTRACT §3): msgspec Structs, every problem reported at once.

msgspec stops at the first error, so the TOML is first walked against the Struct definitions
field by field, collecting one line per problem (``key.path: what is wrong (expected …)``);
bad values are dropped so the rest can still be converted and checked for meaning (addresses,
zones, references between flows, services and templates). Secrets never live in the file:
each secret key ``X`` comes from ``X_file`` or the ``RECADO_…`` environment variable.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

import msgspec

from recado.daemon import config_checks
from recado.daemon.text_files import NotUtf8, read_utf8


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _S(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class DaemonSection(_S):
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


class HttpSection(_S):
    public_listen: str = "127.0.0.1:8080"
    operator_listen: str = "127.0.0.1:8081"
    public_base_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = 4_194_304
    operator_public_ok: bool = False
    public_max_connections: int = 256
    operator_max_connections: int = 64
    public_body_timeout_s: float = 10


class SecuritySection(_S):
    api_key_file: str = ""
    secret_key_file: str = ""
    api_key: str = ""
    secret_key: str = ""


class UiSection(_S):
    locale: str = "pt-BR"


class StudioSection(_S):
    name: str = "Studio"
    location_line: str = ""
    booking_url: str = ""


_PARAMS = ["client_name", "service", "date", "time", "location"]
_BUTTONS = ["CONFIRM", "RESCHEDULE", "TALK"]


class Template(_S):
    name: str
    language: str = "pt_BR"
    body_params: list[str] = msgspec.field(default_factory=lambda: list(_PARAMS))
    buttons: list[str] = msgspec.field(default_factory=list)


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


class WhatsAppSection(_S):
    mode: str = "dry_run"
    kill_switch: bool = False
    allowlist: list[str] = msgspec.field(default_factory=list)
    test_recipient: str = ""
    graph_base_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
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
    templates: dict[str, Template] = msgspec.field(default_factory=_default_templates)
    access_token: str = ""
    app_secret: str = ""
    verify_token: str = ""


class BreakerSettings(_S):
    failure_threshold: int = 5
    open_s: float = 60


class Service(_S):
    name: str
    base_url: str
    auth_header: str = "Authorization"
    auth_value_file: str = ""
    timeout_s: float = 10
    max_attempts: int = 5  # per delivery, then dead (DLQ)
    breaker: BreakerSettings = msgspec.field(default_factory=BreakerSettings)
    auth_value: str = ""


class DelayedAction(_S):
    action: str
    delay: str = "0s"


class Flow(_S):
    event: str
    actions: list[str | DelayedAction] = msgspec.field(default_factory=list)


class SyncJob(_S):
    name: str
    schedule: str
    source: str
    target: str


class Config(_S):
    daemon: DaemonSection = msgspec.field(default_factory=DaemonSection)
    http: HttpSection = msgspec.field(default_factory=HttpSection)
    security: SecuritySection = msgspec.field(default_factory=SecuritySection)
    ui: UiSection = msgspec.field(default_factory=UiSection)
    studio: StudioSection = msgspec.field(default_factory=StudioSection)
    whatsapp: WhatsAppSection = msgspec.field(default_factory=WhatsAppSection)
    services: list[Service] = msgspec.field(default_factory=list)
    flows: list[Flow] = msgspec.field(default_factory=list)
    sync: list[SyncJob] = msgspec.field(default_factory=list)

    def secret_values(self) -> list[str]:
        values = [
            self.security.api_key,
            self.security.secret_key,
            self.whatsapp.access_token,
            self.whatsapp.app_secret,
            self.whatsapp.verify_token,
            *(s.auth_value for s in self.services),
        ]
        return [v for v in values if v]


# Keys filled by the loader, never read from the file; the secret ones say where to put them.
_SECRETS: dict[type[_S], tuple[str, ...]] = {
    SecuritySection: ("api_key", "secret_key"),
    WhatsAppSection: ("access_token", "app_secret", "verify_token"),
    Service: ("auth_value",),
}
_RESOLVED: dict[type[_S], tuple[str, ...]] = {DaemonSection: ("base_dir",)}

RELOADABLE = (
    "whatsapp.mode",
    "whatsapp.kill_switch",
    "whatsapp.allowlist",
    "whatsapp.test_recipient",
    "daemon.log_level",
    "ui.locale",
    "studio.",
)


def default_config_path() -> Path:
    local = Path("config.toml")
    return local if local.exists() else Path("/etc/recado/config.toml")


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, validate and resolve the config; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    try:
        text = read_utf8(path)
    except NotUtf8 as exc:
        raise ConfigError([str(exc)]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file ({exc.strerror})"]) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise ConfigError(
            [f"{path}: not valid TOML: arrays or tables nested too deeply (expected a config)"]
        ) from None
    problems: list[str] = []
    clean = _walk(raw, Config, "", problems)
    cfg = msgspec.convert(clean, Config)
    base_dir = path.resolve().parent
    cfg = _resolve(cfg, base_dir, env, problems)
    problems.extend(config_checks.check(cfg))
    if problems:
        raise ConfigError(problems)
    return cfg


# -- the walk: structure and types, every problem ---------------------------------------


def _walk(value: Any, typ: type[_S], path: str, problems: list[str]) -> dict[str, Any]:
    fields = {f.name: f for f in msgspec.structs.fields(typ)}
    hidden = set(_SECRETS.get(typ, ())) | set(_RESOLVED.get(typ, ()))
    allowed = [name for name in fields if name not in hidden]
    clean: dict[str, Any] = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key in _SECRETS.get(typ, ()):
            env = "RECADO_" + where.upper().replace(".", "_")
            problems.append(
                f"{where}: secrets never live in the config file "
                f'(expected {key}_file = "/path/to/file" or the {env} environment variable)'
            )
            continue
        if key not in fields or key in hidden:
            problems.append(f"{where}: unknown key (expected one of: {', '.join(allowed)})")
            continue
        checked = _check_value(item, fields[key].type, where, problems)
        if checked is not _BAD:
            clean[key] = checked
    for name, field in fields.items():
        if name not in clean and name not in hidden and field.required and name not in value:
            where = f"{path}.{name}" if path else name
            problems.append(f"{where}: missing (expected {_describe(field.type)})")
    if any(f.required and n not in clean for n, f in fields.items()):
        return _BAD  # type: ignore[return-value]
    return clean


_BAD = object()


def _check_value(item: Any, ftype: Any, where: str, problems: list[str]) -> Any:
    origin = get_origin(ftype)
    if isinstance(ftype, type) and issubclass(ftype, _S):
        if not isinstance(item, dict):
            problems.append(f"{where}: got {_show(item)} (expected a table)")
            return _BAD
        return _walk(item, ftype, where, problems)
    if origin is list and not isinstance(item, list):
        problems.append(f"{where}: got {_show(item)} (expected {_describe(ftype)})")
        return _BAD
    if origin is list:
        (inner,) = get_args(ftype)
        out = []
        for i, element in enumerate(item):
            checked = _check_value(element, inner, f"{where}[{i}]", problems)
            if checked is not _BAD:
                out.append(checked)
        return out
    if origin is dict:
        if not isinstance(item, dict):
            problems.append(f"{where}: got {_show(item)} (expected a table)")
            return _BAD
        _, inner = get_args(ftype)
        out_map = {}
        for key, element in item.items():
            checked = _check_value(element, inner, f"{where}.{key}", problems)
            if checked is not _BAD:
                out_map[key] = checked
        return out_map
    args = get_args(ftype)
    if args and any(isinstance(a, type) and issubclass(a, _S) for a in args):
        # str | DelayedAction: a plain string or a table.
        if isinstance(item, dict):
            struct = next(a for a in args if isinstance(a, type) and issubclass(a, _S))
            return _check_value(item, struct, where, problems)
        if isinstance(item, str):
            return item
        problems.append(f"{where}: got {_show(item)} (expected {_describe(ftype)})")
        return _BAD
    try:
        value = msgspec.convert(item, ftype)
    except msgspec.ValidationError:
        problems.append(f"{where}: got {_show(item)} (expected {_describe(ftype)})")
        return _BAD
    if isinstance(value, float) and not math.isfinite(value):
        # TOML allows inf and nan; every comparison with nan is false, so no later check
        # would catch it before a deadline or a timedelta does.
        problems.append(f"{where}: got {_show(item)} (expected a finite number)")
        return _BAD
    return value


def _describe(ftype: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    if ftype in names:
        return names[ftype]
    origin = get_origin(ftype)
    if origin is list:
        (inner,) = get_args(ftype)
        return f"a list of {_describe(inner).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        return "a table"
    args = get_args(ftype)
    if args:
        return " or ".join(_describe(a) for a in args)
    if isinstance(ftype, type) and issubclass(ftype, _S):
        return "a table"
    return str(ftype)


def _show(item: Any) -> str:
    if isinstance(item, str):
        return f'"{item}"' if len(item) <= 40 else f'"{item[:37]}..."'
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, dict):
        return "a table"
    if isinstance(item, list):
        return "a list"
    text = repr(item)
    return text if len(text) <= 40 else f"{text[:37]}..."


# -- secrets and paths --------------------------------------------------------------------


def _secret(
    file_value: str,
    env_name: str,
    key_path: str,
    base_dir: Path,
    env: Mapping[str, str],
    problems: list[str],
) -> str:
    if env.get(env_name):
        value = env[env_name].strip()
        if not _is_utf8(value):
            # Python hands undecodable bytes of the environment over as lone surrogates.
            problems.append(f"{env_name}: not valid UTF-8 (expected the secret as UTF-8 text)")
            return ""
        return value
    if not file_value:
        return ""
    expanded = file_value
    if "${CREDENTIALS_DIRECTORY}" in expanded:
        creds = env.get("CREDENTIALS_DIRECTORY")
        if not creds:
            problems.append(
                f"{key_path}_file: ${{CREDENTIALS_DIRECTORY}} is not set "
                "(expected the daemon to run under systemd with LoadCredential=)"
            )
            return ""
        expanded = expanded.replace("${CREDENTIALS_DIRECTORY}", creds)
    path = Path(expanded)
    if not path.is_absolute():
        path = base_dir / path
    try:
        value = read_utf8(path).strip()
    except NotUtf8 as exc:
        problems.append(f"{key_path}_file: {exc}")
        return ""
    except OSError as exc:
        problems.append(
            f"{key_path}_file: cannot read {path}: {exc.strerror} "
            "(expected a readable file holding the secret)"
        )
        return ""
    if not value:
        problems.append(f"{key_path}_file: {path} is empty (expected the secret)")
    return value


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _resolve(cfg: Config, base_dir: Path, env: Mapping[str, str], problems: list[str]) -> Config:
    def sec(file_value: str, key_path: str) -> str:
        env_name = "RECADO_" + key_path.upper().replace(".", "_").replace("-", "_")
        return _secret(file_value, env_name, key_path, base_dir, env, problems)

    s, w = cfg.security, cfg.whatsapp
    services = [
        msgspec.structs.replace(
            svc, auth_value=sec(svc.auth_value_file, f"services.{svc.name}.auth_value")
        )
        for svc in cfg.services
    ]
    return msgspec.structs.replace(
        cfg,
        daemon=msgspec.structs.replace(cfg.daemon, base_dir=str(base_dir)),
        security=msgspec.structs.replace(
            s,
            api_key=sec(s.api_key_file, "security.api_key"),
            secret_key=sec(s.secret_key_file, "security.secret_key"),
        ),
        whatsapp=msgspec.structs.replace(
            w,
            access_token=sec(w.access_token_file, "whatsapp.access_token"),
            app_secret=sec(w.app_secret_file, "whatsapp.app_secret"),
            verify_token=sec(w.verify_token_file, "whatsapp.verify_token"),
        ),
        services=services,
    )


# -- summary and reload -------------------------------------------------------------------


_SECRET_PATHS = {
    "security.api_key": "security.api_key_file",
    "security.secret_key": "security.secret_key_file",
    "whatsapp.access_token": "whatsapp.access_token_file",
    "whatsapp.app_secret": "whatsapp.app_secret_file",
    "whatsapp.verify_token": "whatsapp.verify_token_file",
}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of the config by its dotted key (lists whole: ``services``, ``flows``)."""
    out: dict[str, Any] = {}
    if isinstance(value, msgspec.Struct):
        for f in msgspec.structs.fields(value):
            out.update(flatten(getattr(value, f.name), f"{prefix}{f.name}."))
        return out
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(v, msgspec.Struct) for v in value.values())
    ):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    out[prefix.rstrip(".")] = msgspec.to_builtins(value)
    return out


def _is_secret(key: str) -> bool:
    return key in _SECRET_PATHS or (key.startswith("services") and key.endswith(".auth_value"))


def summarize(cfg: Config) -> str:
    flat = flatten(cfg)
    lines = []
    for key, value in flat.items():
        if key == "daemon.base_dir" or key.startswith(("services", "flows", "sync")):
            continue
        if _is_secret(key):
            source = flat.get(_SECRET_PATHS[key]) if key in _SECRET_PATHS else ""
            shown = (
                ("set" + (f" (from file {source})" if source else " (from env)"))
                if value
                else "not set"
            )
            lines.append(f"  {key} = {shown}")
        elif not key.endswith("_file"):
            lines.append(f"  {key} = {value!r}")
    lines.append(f"  daemon.data_dir (resolved) = {cfg.daemon.data_path}")
    for svc in cfg.services:
        auth = "set" if svc.auth_value else "not set"
        lines.append(f"  service {svc.name}: {svc.base_url} (auth {auth})")
    for flow in cfg.flows:
        lines.append(f"  flow {flow.event}: {len(flow.actions)} action(s)")
    for job in cfg.sync:
        lines.append(f"  sync {job.name}: {job.schedule}")
    return "\n".join(lines)


@dataclass(frozen=True)
class ReloadDiff:
    applied: list[str]
    needs_restart: list[str]


def reload_diff(old: Config, new: Config) -> ReloadDiff:
    a, b = flatten(old), flatten(new)
    changed = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    applied = [k for k in changed if k.startswith(RELOADABLE) and k in a and k in b]
    return ReloadDiff(applied, [k for k in changed if k not in applied])
