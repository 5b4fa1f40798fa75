"""A reload applies a config the daemon could have started with, or nothing, and says why;
whatever goes wrong inside it, the daemon keeps running with the config it had."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from recado.config import Config, load_config
from recado.config import checks as config_checks
from recado.runtime.context import Daemon
from recado.runtime.reload import Refused, Reload, plan_reload
from recado.testing.daemon_process import write_config
from tests.conftest import running_daemon
from tests.webhook_helpers import query

ENABLED = (
    'app_secret_file = "app_secret"\naccess_token_file = "token"\n'
    'phone_number_id = "106540352242922"\n'
)
RESTART_SENTENCE = (
    'reload refused, nothing applied: whatsapp.mode = "enabled" needs '
    "whatsapp.app_secret_file and whatsapp.phone_number_id, which "
    "only take effect after a restart (restart the daemon to apply them)"
)


def _secrets(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app_secret").write_text("app-secret-for-reload\n")
    (directory / "token").write_text("graph-token-for-reload\n")


def test_enabling_before_the_secrets_apply_is_refused_naming_them(tmp_path: Path) -> None:
    _secrets(tmp_path)
    running = load_config(write_config(tmp_path / "a"), {})
    new = load_config(write_config(tmp_path, ENABLED, mode="enabled"), {})
    plan = plan_reload(running, new)
    assert isinstance(plan, Refused)
    assert plan.error == "reload_refused"
    assert plan.detail == RESTART_SENTENCE


# -- the class: whatever the two configs, what a reload applies passes the start checks ------


@st.composite
def configs(draw: st.DrawFn) -> Config:
    base = Config()
    w = msgspec.structs.replace(
        base.whatsapp,
        mode=draw(st.sampled_from(config_checks.MODES)),
        kill_switch=draw(st.booleans()),
        app_secret=draw(st.sampled_from(["", "app-secret-1", "app-secret-2"])),
        access_token=draw(st.sampled_from(["", "token-1"])),
        phone_number_id=draw(st.sampled_from(["", "106540352242922"])),
        embedded_signup_enabled=draw(st.booleans()),
        allowlist=draw(st.sampled_from([[], ["+5511987654321"]])),
    )
    d = msgspec.structs.replace(base.daemon, log_level=draw(st.sampled_from(["info", "debug"])))
    ui = msgspec.structs.replace(base.ui, locale=draw(st.sampled_from(["pt-BR", "en"])))
    return msgspec.structs.replace(base, whatsapp=w, daemon=d, ui=ui)


@given(configs(), configs(), st.booleans())
def test_a_reload_never_applies_what_a_start_would_refuse(
    running: Config, new: Config, test_hooks: bool
) -> None:
    if config_checks.check(running) or config_checks.check(new):
        return  # neither would have loaded
    if test_hooks and running.whatsapp.mode == "enabled":
        return  # nor started
    plan = plan_reload(running, new, test_hooks=test_hooks)
    if isinstance(plan, Reload):
        assert config_checks.check(plan.effective) == []
        w = plan.effective.whatsapp
        if w.mode == "enabled":
            assert w.app_secret, "unsigned webhooks would be accepted"
            assert not test_hooks
        # Only reloadable keys moved; the rest is exactly what is running.
        assert plan.effective.whatsapp.app_secret == running.whatsapp.app_secret
        assert plan.effective.whatsapp.phone_number_id == running.whatsapp.phone_number_id
        # The token is reloadable (a new one ends a pause without a restart).
        assert plan.effective.whatsapp.access_token == new.whatsapp.access_token
    else:
        assert plan.detail.startswith("reload refused, nothing applied: ")
        assert plan.problems


# -- the running daemon ------------------------------------------------------------------------


async def _reload(daemon: Daemon, client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        f"{daemon.listeners['operator'].url}/config/reload", headers={"X-API-Key": daemon.api_key}
    )


def _audit(daemon: Daemon) -> list[dict[str, Any]]:
    return query(daemon, "SELECT action, actor, detail_json FROM audit_log ORDER BY id DESC")


async def test_the_refusal_is_answered_logged_and_audited(daemon_dir: Path) -> None:
    _secrets(daemon_dir)
    async with (
        running_daemon(daemon_dir, test_hooks=False) as daemon,
        httpx.AsyncClient() as client,
    ):
        write_config(daemon_dir, ENABLED, mode="enabled")
        answer = await _reload(daemon, client)
        assert answer.status_code == 422
        body = answer.json()
        assert body["error"] == "reload_refused" and body["detail"] == RESTART_SENTENCE
        assert body["applied"] == []
        assert daemon.config.whatsapp.mode == "dry_run"
        assert daemon.config.whatsapp.app_secret == ""
        row = _audit(daemon)[0]
        assert row["action"] == "config.reload_refused"
        assert json.loads(row["detail_json"])["detail"] == RESTART_SENTENCE
        cli = await trio.run_process(
            [sys.executable, "-m", "recado", "reload", "--config", str(daemon.config_path)],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
        assert cli.returncode == 1
        assert cli.stderr.decode() == f"recado: 422 reload_refused: {RESTART_SENTENCE}\n"
        assert daemon.config.whatsapp.mode == "dry_run"


async def test_a_reload_never_enables_sending_beside_test_hooks(daemon_dir: Path) -> None:
    _secrets(daemon_dir)
    async with (
        running_daemon(daemon_dir, ENABLED, test_hooks=True) as daemon,
        httpx.AsyncClient() as client,
    ):
        write_config(daemon_dir, ENABLED, mode="enabled")
        answer = await _reload(daemon, client)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"] == (
            'reload refused, nothing applied: whatsapp.mode: "enabled" is not allowed while '
            "the daemon runs with --test-hooks (expected a restart without --test-hooks for "
            "real sends)"
        )
        assert daemon.config.whatsapp.mode == "dry_run"


async def test_anything_failing_inside_a_reload_keeps_the_running_config(
    daemon_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        write_config(daemon_dir, mode="disabled")

        def broken(text: str) -> Any:
            raise RuntimeError("the TOML parser broke")

        # The parser is the standard library's, not ours: a failure no check foresaw.
        monkeypatch.setattr(tomllib, "loads", broken)
        answer = await _reload(daemon, client)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"] == "reload_failed"
        assert answer.json()["detail"] == (
            "reload failed, the running config was kept: RuntimeError: the TOML parser broke"
        )
        assert daemon.config.whatsapp.mode == "dry_run"
        assert _audit(daemon)[0]["action"] == "config.reload_failed"
        monkeypatch.undo()
        answer = await _reload(daemon, client)
        assert answer.status_code == 200 and answer.json()["applied"] == ["whatsapp.mode"]
        assert daemon.config.whatsapp.mode == "disabled"
        assert {n: a.restarts for n, a in daemon.supervisor.actors.items() if a.restarts} == {}
