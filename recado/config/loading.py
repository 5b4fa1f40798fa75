"""Reading the config file: every problem reported at once.

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
from pathlib import Path
from typing import Any, get_args, get_origin

import msgspec

from recado.config import checks as config_checks
from recado.config.schema import (
    _RESOLVED,
    _S,
    _SECRETS,
    Config,
)
from recado.text_files import NotUtf8, read_utf8


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


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
        # A sentinel, not a table: the caller drops the value and keeps collecting problems.
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
    if "\x00" in expanded:
        # No file system path holds a NUL byte; open() would raise ValueError, not OSError.
        problems.append(f"{key_path}_file: contains a NUL byte (expected a file path)")
        return ""
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
            previous_secret_key=sec(s.previous_secret_key_file, "security.previous_secret_key"),
        ),
        whatsapp=msgspec.structs.replace(
            w,
            access_token=sec(w.access_token_file, "whatsapp.access_token"),
            app_secret=sec(w.app_secret_file, "whatsapp.app_secret"),
            verify_token=sec(w.verify_token_file, "whatsapp.verify_token"),
            register_pin=sec(w.register_pin_file, "whatsapp.register_pin"),
        ),
        services=services,
    )
