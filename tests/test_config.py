"""Config loading and validation against real files: every problem, named by its key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from recado.cli.check_config import check_config
from recado.config import ConfigError, load_config, reload_diff, summarize
from recado.config.checks import parse_listen
from recado.rules.flows import parse_action, parse_delay, parse_endpoint


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text), env or {})
    return info.value.problems


def test_empty_file_is_the_embedded_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, ""), {})
    assert cfg.whatsapp.mode == "dry_run"
    assert cfg.http.operator_listen == "127.0.0.1:8081"
    assert cfg.daemon.data_path == tmp_path / "var"
    assert set(cfg.whatsapp.templates) == {"appointment_created", "appointment_reminder"}
    assert cfg.secret_values() == []


def test_the_checked_in_config_is_valid() -> None:
    cfg = load_config(Path(__file__).parent.parent / "config.toml", {})
    assert cfg.whatsapp.mode == "dry_run"
    assert cfg.daemon.timezone == "America/Sao_Paulo"


def test_type_and_unknown_key_problems(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        '[whatsapp]\nmax_attempts = "five"\nmod = "x"\n[http]\nmax_body_bytes = 1.5\n[nope]\n',
    )
    assert problems[0] == 'whatsapp.max_attempts: got "five" (expected an integer)'
    assert problems[1].startswith("whatsapp.mod: unknown key (expected one of: mode, kill_switch,")
    assert problems[2] == "http.max_body_bytes: got 1.5 (expected an integer)"
    assert problems[3].startswith("nope: unknown key (expected one of: daemon, http, security")
    assert len(problems) == 4


def test_three_mistakes_are_all_reported_by_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        '[daemon]\ntimezone = "Mars/Olympus"\n'
        '[whatsapp]\nmode = "live"\nallowlist = ["11987654321"]\n',
    )
    assert check_config(path) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        'daemon.timezone: "Mars/Olympus" is not a known time zone '
        '(expected an IANA name like "America/Sao_Paulo")',
        'whatsapp.mode: "live" is not allowed (expected one of: disabled, dry_run, enabled)',
        'whatsapp.allowlist[0]: "11987654321" is not E.164 (expected +<country><number>)',
        f"3 problems in {path}",
    ]


def test_check_config_ok_prints_a_masked_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret").write_text("super-secret-app-secret\n")
    path = _write(tmp_path, '[whatsapp]\napp_secret_file = "secret"\n')
    monkeypatch.setenv("RECADO_WHATSAPP_VERIFY_TOKEN", "verify-me-123456")
    assert check_config(path) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: ok\n")
    assert "whatsapp.app_secret = set (from file secret)" in out
    assert "whatsapp.verify_token = set (from env)" in out
    assert "whatsapp.access_token = not set" in out
    assert "super-secret-app-secret" not in out and "verify-me-123456" not in out


def test_secrets_from_file_and_env(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("  file-token  \n")
    path = _write(tmp_path, '[whatsapp]\naccess_token_file = "token"\napp_secret_file = "token"\n')
    cfg = load_config(path, {"RECADO_WHATSAPP_APP_SECRET": "env-secret"})
    assert cfg.whatsapp.access_token == "file-token"
    assert cfg.whatsapp.app_secret == "env-secret"  # the environment wins
    assert sorted(cfg.secret_values()) == ["env-secret", "file-token"]


def test_credentials_directory_expands(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "api_key").write_text("from-systemd-credential")
    path = _write(tmp_path, '[security]\napi_key_file = "${CREDENTIALS_DIRECTORY}/api_key"\n')
    cfg = load_config(path, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert cfg.security.api_key == "from-systemd-credential"
    assert _problems(tmp_path, path.read_text()) == [
        "security.api_key_file: ${CREDENTIALS_DIRECTORY} is not set "
        "(expected the daemon to run under systemd with LoadCredential=)"
    ]


def test_secret_problems(tmp_path: Path) -> None:
    (tmp_path / "short").write_text(base64.b64encode(b"x" * 16).decode())
    problems = _problems(
        tmp_path,
        '[security]\napi_key = "literal"\n'
        'secret_key_file = "short"\n'
        '[whatsapp]\naccess_token_file = "missing"\n',
    )
    assert problems == [
        "security.api_key: secrets never live in the config file (expected "
        'api_key_file = "/path/to/file" or the RECADO_SECURITY_API_KEY environment variable)',
        f"whatsapp.access_token_file: cannot read {tmp_path / 'missing'}: No such file or "
        "directory (expected a readable file holding the secret)",
        "security.secret_key_file: the key is not base64 of 32 bytes "
        "(expected e.g. the output of `head -c32 /dev/urandom | base64`)",
    ]


def test_operator_listener_must_stay_private(tmp_path: Path) -> None:
    assert _problems(tmp_path, '[http]\noperator_listen = "0.0.0.0:8081"\n') == [
        'http.operator_listen: "0.0.0.0:8081" is not a loopback or private address (expected '
        "one, or http.operator_public_ok = true to expose operator pages and actions)"
    ]
    for ok in ("10.0.0.5:8081", "[::1]:8081", "localhost:8081", "192.168.1.2:0"):
        load_config(_write(tmp_path, f'[http]\noperator_listen = "{ok}"\n'), {})
    load_config(
        _write(tmp_path, '[http]\noperator_listen = "0.0.0.0:8081"\noperator_public_ok = true\n'),
        {},
    )
    assert _problems(tmp_path, '[http]\npublic_listen = "8080"\n') == [
        'http.public_listen: "8080" is not an address (expected host:port, e.g. 127.0.0.1:8081)'
    ]


def test_enabled_mode_needs_its_secrets(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[whatsapp]\nmode = "enabled"\n')
    assert [p.split(":")[0] for p in problems] == [
        "whatsapp.app_secret_file",
        "whatsapp.access_token_file",
        "whatsapp.phone_number_id",
    ]


def test_flows_and_sync_reference_defined_services_and_templates(tmp_path: Path) -> None:
    text = """
[[services]]
name = "crm"
base_url = "http://127.0.0.1:9001"
[[services]]
name = "crm"
base_url = "ftp://x"
[[flows]]
event = "lead.created"
actions = ["http:erp:POST:/leads", "whatsapp:welcome", "http:crm:FETCH:/x", "smtp:x",
           { action = "http:crm:POST:/f", delay = "2 hours" }]
[[flows]]
event = "lead.updated"
[[sync]]
name = "s"
schedule = "every hour"
source = "crm:GET:/contracts?since={cursor}"
target = "operacao:POST:/schedules"
"""
    assert _problems(tmp_path, text) == [
        'services[1].name: "crm" is used twice (expected unique service names)',
        'services[1].base_url: "ftp://x" is not a URL (expected http(s)://…)',
        'flows[0].actions[0]: service "erp" is not defined (expected one of: crm)',
        'flows[0].actions[1]: template "welcome" is not defined '
        "(expected one of: appointment_created, appointment_reminder)",
        'flows[0].actions[2]: method "FETCH" in "crm:FETCH:/x" is not one of '
        "GET, POST, PUT, PATCH, DELETE",
        'flows[0].actions[3]: "smtp:x" is not http:<service>:<METHOD>:<path> or '
        "whatsapp:<template>",
        'flows[0].actions[4].delay: "2 hours" is not a delay like 30s, 15m, 2h or 1d',
        'flows[1].event: "lead.updated" is not allowed (expected one of: appointment.created, '
        "appointment.rescheduled, appointment.canceled, appointment.reschedule_requested, "
        "handoff.requested, whatsapp.message.received, whatsapp.message.failed, lead.created, "
        "client.registered, service.completed, payment.received, feedback.received, "
        "alert.opened, alert.resolved, incident.opened, incident.update_due, incident.updated, "
        "incident.resolved, incident.escalated)",
        'sync[0].schedule: "every hour" is not a cron expression (expected e.g. "0 * * * *")',
        'sync[0].target: service "operacao" is not defined (expected one of: crm)',
    ]


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml", {})
    assert info.value.problems == [
        f"{tmp_path / 'nope.toml'}: cannot read the config file (No such file or directory)"
    ]
    problems = _problems(tmp_path, "[daemon\n")
    assert problems[0].startswith(f"{tmp_path / 'config.toml'}: not valid TOML:")
    assert "line 1" in problems[0]


def test_reload_diff_separates_reloadable_keys(tmp_path: Path) -> None:
    old = load_config(_write(tmp_path, ""), {})
    new = load_config(
        _write(
            tmp_path,
            '[whatsapp]\nmode = "disabled"\nkill_switch = true\n'
            'api_version = "v22.0"\n[studio]\nname = "Bela"\n'
            '[http]\npublic_listen = "127.0.0.1:9000"\n',
        ),
        {},
    )
    diff = reload_diff(old, new)
    assert diff.applied == ["studio.name", "whatsapp.kill_switch", "whatsapp.mode"]
    assert diff.needs_restart == ["http.public_listen", "whatsapp.api_version"]
    assert reload_diff(old, old).applied == []


def test_summary_never_shows_a_secret(tmp_path: Path) -> None:
    (tmp_path / "key").write_text(base64.b64encode(b"k" * 32).decode())
    cfg = load_config(
        _write(tmp_path, '[security]\nsecret_key_file = "key"\n'),
        {"RECADO_SECURITY_API_KEY": "api-key-value-xyz"},
    )
    text = summarize(cfg)
    assert "api-key-value-xyz" not in text
    assert base64.b64encode(b"k" * 32).decode() not in text
    assert "security.secret_key = set (from file key)" in text


def test_small_parsers() -> None:
    assert parse_listen("[::1]:8081") == ("::1", 8081)
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_delay("2h").total_seconds() == 7200
    assert parse_endpoint("crm:GET:/x?y={cursor}").path == "/x?y={cursor}"
    assert parse_action("whatsapp:appointment_created").template == "appointment_created"


@pytest.mark.parametrize(
    "key", ["header_timeout_s", "keep_alive_s", "send_timeout_s", "connection_lifetime_s"]
)
@pytest.mark.parametrize("value", ["0", "-1", "3601", "nan", "inf"])
def test_connection_deadlines_are_bounded(tmp_path: Path, key: str, value: str) -> None:
    [problem] = _problems(tmp_path, f"[http]\n{key} = {value}\n")
    assert problem.startswith(f"http.{key}: got ")
    assert problem.endswith(("(expected more than 0, at most 3600)", "(expected a finite number)"))


def test_operator_hosts_must_be_host_names(tmp_path: Path) -> None:
    load_config(_write(tmp_path, '[http]\noperator_hosts = ["a.lan", "b.lan:8443"]\n'), {})
    for bad in ("", "a b", "x:", "x:99999", "[::1", "é.lan"):
        [problem] = _problems(tmp_path, f"[http]\noperator_hosts = [{json.dumps(bad)}]\n")
        assert problem.startswith("http.operator_hosts: "), problem
    names = ", ".join(f'"h{i}.lan"' for i in range(33))
    [problem] = _problems(tmp_path, f"[http]\noperator_hosts = [{names}]\n")
    assert problem == "http.operator_hosts: 33 names (expected at most 32)"
