"""What the running config says, without its secrets (``recado check-config``), and what a
reload would change (the reloadable keys against the rest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from recado.config.schema import RELOADABLE, Config

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
