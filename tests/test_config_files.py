"""The files the daemon reads at start, as editors and people leave them: not UTF-8, with a
byte-order mark, nested past reason, numbers no check expected. Each is a named config
problem for ``recado run``, ``recado check-config`` and a reload alike, never a traceback."""

from __future__ import annotations

import json
import math
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args, get_origin
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recado.config import Config, ConfigError, load_config
from recado.config import schema as config_module
from recado.config.checks import parse_listen
from recado.daemon.runtime_file import read_runtime
from recado.rules import bounds
from recado.rules.flows import flow_table
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import cli

LATIN1 = '[studio]\n# Estúdio Bela\nname = "Bela"\n'.encode("latin-1")
BAD_AT = LATIN1.index(b"\xfa")


def _problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env or {})
    return info.value.problems


def not_utf8(path: Path, at: int) -> str:
    return f"{path}: not valid UTF-8 at byte {at} (expected the file saved as UTF-8)"


def test_a_latin1_config_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(LATIN1)
    assert _problems(path) == [not_utf8(path, BAD_AT)]
    path.write_bytes(b"\xef\xbb\xbf" + LATIN1)  # with a byte-order mark before it
    assert _problems(path) == [not_utf8(path, BAD_AT + 3)]


SECRET_KEYS = [
    ("security", "api_key_file"),
    ("security", "secret_key_file"),
    ("whatsapp", "access_token_file"),
    ("whatsapp", "app_secret_file"),
    ("whatsapp", "verify_token_file"),
    ("services", "auth_value_file"),
]


def _with_secret(tmp_path: Path, section: str, key: str, content: bytes) -> Path:
    (tmp_path / "secret").write_bytes(content)
    if section == "services":
        text = f'[[services]]\nname = "crm"\nbase_url = "http://127.0.0.1:9"\n{key} = "secret"\n'
    else:
        text = f'[{section}]\n{key} = "secret"\n'
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("section", "key"), SECRET_KEYS)
def test_every_secret_file_that_is_not_utf8_is_named(
    tmp_path: Path, section: str, key: str
) -> None:
    path = _with_secret(tmp_path, section, key, b"s3cr\xe9t-value")
    where = "services.crm.auth_value_file" if section == "services" else f"{section}.{key}"
    assert _problems(path) == [f"{where}: {not_utf8(tmp_path / 'secret', 4)}"]


def test_a_byte_order_mark_never_ends_up_in_a_secret(tmp_path: Path) -> None:
    path = _with_secret(tmp_path, "whatsapp", "app_secret_file", b"\xef\xbb\xbfapp-secret-1\n")
    assert load_config(path, {}).whatsapp.app_secret == "app-secret-1"


def test_an_environment_secret_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    # How Python hands over an environment value holding the byte 0xe9.
    env = {"RECADO_WHATSAPP_APP_SECRET": b"s3cr\xe9t".decode("utf-8", "surrogateescape")}
    assert _problems(path, env) == [
        "RECADO_WHATSAPP_APP_SECRET: not valid UTF-8 (expected the secret as UTF-8 text)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[daemon]\ntimezone = "America"\n', 'daemon.timezone: "America" is not a known'),
        (f'[daemon]\ntimezone = "{"A" * 300}"\n', "daemon.timezone: "),
        ("[daemon]\nshutdown_grace_s = nan\n", "daemon.shutdown_grace_s: got nan (expected a fin"),
        ("[whatsapp]\nretry_cap_s = inf\n", "whatsapp.retry_cap_s: got inf (expected a finite"),
        (
            "[whatsapp]\nreminder_hours_before = 1e300\n",
            "whatsapp.reminder_hours_before: got 1e+300 (expected at most 8760)",
        ),
        (
            "[whatsapp]\nmax_attempts = 99999999999999999999999\n",
            "whatsapp.max_attempts: got 99999999999999999999999 (expected at most 100)",
        ),
        (
            '[[services]]\nname = "s"\nbase_url = "http://x"\n'
            '[[flows]]\nevent = "lead.created"\n'
            'actions = [{ action = "http:s:POST:/x", delay = "99999999999d" }]\n',
            'flows[0].actions[0].delay: "99999999999d" is longer than 365d',
        ),
        ("a = " + "[" * 2000 + "]" * 2000 + "\n", ": not valid TOML: arrays or tables nested"),
        (
            '[security]\napi_key_file = "keys/\\u0000api"\n',
            "security.api_key_file: contains a NUL byte (expected a file path)",
        ),
        (
            '[whatsapp]\napp_secret_file = "\\u0000"\n',
            "whatsapp.app_secret_file: contains a NUL byte (expected a file path)",
        ),
    ],
)
def test_values_that_used_to_escape_the_checks(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    problems = _problems(path)
    assert len(problems) == 1 and expected in problems[0], problems


# -- fuzz: anything in any key is ConfigError or a config the daemon can run with -----------


EDGE_NUMBERS = [math.nan, math.inf, -math.inf, 1e300, -1e300, 0.0, -0.0, 2**63, 2**70, -(2**64)]


def _leaf_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(EDGE_NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.text(max_size=30),
        st.sampled_from(
            ["127.0.0.1:0", "enabled", "America", "99999999999d", "0 3 * * *", "http://x"]
        ),
    )


def _values() -> st.SearchStrategy[Any]:
    return st.recursive(
        _leaf_values(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=6,
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _keys(struct: type[Any], prefix: str = "") -> list[str]:
    out = []
    for field in msgspec.structs.fields(struct):
        ftype = field.type
        if isinstance(ftype, type) and issubclass(ftype, msgspec.Struct):
            out += _keys(ftype, f"{prefix}{field.name}.")
        elif get_origin(ftype) is not list or not any(
            isinstance(a, type) and issubclass(a, msgspec.Struct) for a in get_args(ftype)
        ):
            out.append(f"{prefix}{field.name}")
    return out


# A valid config with one service, flow and sync job; the fuzz changes one or two keys of it,
# so that what it changes is the only thing that can be wrong.
BASE: dict[str, dict[str, Any]] = {
    "daemon": {},
    "whatsapp": {},
    "services": {"name": "crm", "base_url": "http://127.0.0.1:9"},
    "flows": {"event": "lead.created", "actions": ["http:crm:POST:/x"]},
    "sync": {"name": "n", "schedule": "0 3 * * *", "source": "crm:GET:/a", "target": "crm:POST:/b"},
}
KEYS = [
    *(k for k in _keys(Config) if not k.startswith(("services", "flows", "sync"))),
    *(f"services.{k}" for k in _keys(config_module.Service)),
    *(f"flows.{k}" for k in ("event", "actions")),
    "flows.actions[0].delay",
    *(f"sync.{k}" for k in ("name", "schedule", "source", "target")),
]


@st.composite
def config_documents(draw: st.DrawFn) -> str:
    tables: dict[str, dict[str, Any]] = {name: dict(keys) for name, keys in BASE.items()}
    for key in draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True)):
        value = draw(_values())
        if key == "flows.actions[0].delay":
            tables["flows"]["actions"] = [{"action": "http:crm:POST:/x", "delay": value}]
            continue
        head, _, rest = key.partition(".")
        tables.setdefault(head, {})[rest] = value
    return _render(tables)


def _render(tables: dict[str, dict[str, Any]]) -> str:
    text = ""
    for name, keys in tables.items():
        header = f"[[{name}]]" if name in ("services", "flows", "sync") else f"[{name}]"
        lines = [f"{_dotted_key(k)} = {_toml_value(v)}" for k, v in keys.items()]
        text += header + "\n" + "".join(line + "\n" for line in lines)
    return text


def test_the_fuzz_starts_from_a_valid_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(_render(BASE))
    _runs_with(load_config(path, {}))


def _dotted_key(key: str) -> str:
    return ".".join(json.dumps(part) for part in key.split("."))


def _runs_with(cfg: Config) -> None:
    """What the daemon derives from its config at start and while it runs."""
    ZoneInfo(cfg.daemon.timezone)
    flow_table(cfg.flows)
    parse_listen(cfg.http.public_listen)
    parse_listen(cfg.http.operator_listen)
    w = cfg.whatsapp
    for seconds in (
        cfg.daemon.shutdown_grace_s,
        w.retry_base_s,
        w.retry_cap_s,
        w.uncertain_timeout_s,
        w.reminder_hours_before * 3600,
        *(s.timeout_s for s in cfg.services),
        *(s.breaker.open_s for s in cfg.services),
    ):
        assert math.isfinite(seconds)
        bounds.LATEST + timedelta(seconds=seconds)
        bounds.EARLIEST - timedelta(seconds=seconds)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_documents())
def test_any_document_is_a_config_or_named_problems(tmp_path_factory: Any, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        cfg = load_config(path, {})
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return
    _runs_with(cfg)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_a_config_or_named_problems(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "config.toml"
    path.write_bytes(data)
    try:
        _runs_with(load_config(path, {}))
    except ConfigError as exc:
        assert exc.problems


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe",
        b"[1, 2]",
        b"[" * 100_000,
        b'{"pid": -1}',
        b'{"pid": 0}',
        b'{"pid": true}',
        b'{"pid": 1e30}',
        b'{"pid": 99999999999999999999999}',
    ],
)
def test_a_runtime_file_that_is_not_ours_reads_as_no_daemon(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "recado.runtime.json").write_bytes(content)
    assert read_runtime(tmp_path) is None


# -- the commands -----------------------------------------------------------------------------


def test_run_and_check_config_name_the_byte_without_a_traceback(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_bytes(config.read_bytes() + "# Estúdio\n".encode("latin-1"))
    at = config.read_bytes().index(b"\xfa")
    check = cli(config, "check-config")
    assert check.returncode == 1
    assert check.stderr.splitlines()[0] == not_utf8(config, at)
    run = cli(config, "run")
    assert run.returncode == 1
    assert not_utf8(config, at) in run.stdout
    for output in (check.stdout, check.stderr, run.stdout, run.stderr):
        assert "Traceback" not in output


def test_run_names_a_broken_generated_key(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "api_key").write_bytes(b"k\xe9y")
    run = cli(config, "run")
    assert run.returncode == 1
    assert f"{tmp_path / 'var' / 'api_key'}: not valid UTF-8 at byte 1" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_sighup_with_a_latin1_config_keeps_the_daemon_and_its_config(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    try:
        good = config.read_bytes()
        config.write_bytes(
            good.replace(b'"dry_run"', b'"disabled"') + "# Estúdio\n".encode("latin-1")
        )
        daemon.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        refused: list[dict[str, str]] = []
        while not refused and time.monotonic() < deadline:
            refused = [e for e in daemon.log_events() if e.get("event") == "reload_refused"]
            time.sleep(0.05)
        assert refused, daemon.log_text()[-2000:]
        assert "not valid UTF-8 at byte" in refused[0]["reason"]
        assert daemon.proc is not None and daemon.proc.poll() is None
        data = httpx.get(f"{daemon.operator_url}/dashboard.json").json()
        assert data["whatsapp"]["mode"] == "dry_run"
        audit = httpx.get(f"{daemon.operator_url}/audit.json").json()["items"]
        assert audit[0]["action"] == "config.reload_refused"
        assert "not valid UTF-8" in audit[0]["detail"]["detail"]
        # Fixed, the next SIGHUP applies it.
        config.write_bytes(good.replace(b'"dry_run"', b'"disabled"'))
        daemon.signal(signal.SIGHUP)
        while time.monotonic() < deadline + 10:
            if [e for e in daemon.log_events() if e.get("event") == "config_reloaded"]:
                break
            time.sleep(0.05)
        data = httpx.get(f"{daemon.operator_url}/dashboard.json").json()
        assert data["whatsapp"]["mode"] == "disabled"
    finally:
        assert daemon.terminate() == 0
    assert "Traceback" not in daemon.log_text()
