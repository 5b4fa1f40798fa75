"""The README's "real sends against a stand-in for Meta" works as written: its own shell
lines and config keys, ports aside, give a daemon whose sends the Graph double accepts and
whose statuses the daemon accepts; and the double says so when the daemon refuses them."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx

from recado.testing.daemon_process import DaemonProcess, write_config
from tests.process_helpers import free_port

README = Path(__file__).resolve().parent.parent / "README.md"
EVENT = {
    "id": "evt-readme-1",
    "type": "appointment.created",
    "occurred_at": "2026-12-01T09:00:00-03:00",
    "data": {
        "appointment_id": "apt-readme",
        "client": {"name": "Ana Souza", "phone": "(11) 98765-4321"},
        "service": "Corte",
        "starts_at": "2099-12-05T15:00:00-03:00",
    },
}


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Real sends against a stand-in for Meta")
    return text[start : text.index("\n#", start + 1)]


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", _section(), re.S)


def _double_command(port: int, public_url: str) -> str:
    """The README's shell lines, with the double's port and the daemon's address as run."""
    [shell] = _blocks("sh")
    assert "--app-secret" in shell and "--token" in shell
    return (
        shell.replace("9100", str(port))
        .replace("http://127.0.0.1:8080", public_url)
        .replace(".venv/bin/python", sys.executable)
    )


def _whatsapp_keys(port: int) -> tuple[str, str]:
    [toml] = _blocks("toml")
    keys: dict[str, Any] = tomllib.loads(toml)["whatsapp"]
    mode = keys.pop("mode")
    keys["graph_base_url"] = keys["graph_base_url"].replace("9100", str(port))
    return mode, "".join(f'{k} = "{v}"\n' for k, v in keys.items())


def _timeline(daemon: DaemonProcess, timeout_s: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout_s
    states: list[str] = []
    while time.monotonic() < deadline:
        apt = httpx.get(f"{daemon.operator_url}/appointments/apt-readme.json", timeout=5).json()
        states = [m["state"] for m in apt["messages"] if m["wamid"]]
        if states and states[0] == "read":
            break
        time.sleep(0.2)
    return states


def _run_demo(tmp_path: Path, tamper: str = "") -> tuple[list[str], str]:
    port = free_port()
    mode, keys = _whatsapp_keys(port)
    config = write_config(tmp_path, keys, mode=mode)
    double_up = False
    # The double's shell lines write the secret files first: run them once without the
    # double to have the files before the daemon starts, as a person would.
    setup = "\n".join(line for line in _blocks("sh")[0].splitlines() if line.startswith("printf"))
    (tmp_path / "var").mkdir(parents=True, exist_ok=True)  # made by the README's first run
    subprocess.run(["bash", "-c", setup], cwd=tmp_path, check=True)
    daemon = DaemonProcess(config, test_hooks=False).start()
    command = _double_command(port, daemon.public_url).rstrip() + tamper
    double = subprocess.Popen(
        ["bash", "-c", command], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not double_up:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                double_up = True
            except httpx.HTTPError:
                time.sleep(0.1)
        key = (tmp_path / "var" / "api_key").read_text().strip()
        accepted = httpx.post(
            f"{daemon.public_url}/api/v1/events", json=EVENT, headers={"X-API-Key": key}
        )
        assert accepted.status_code == 202, accepted.text
        states = _timeline(daemon, 30 if not tamper else 8)
    finally:
        double.terminate()
        err = double.communicate(timeout=10)[1]
        daemon.terminate()
    return states, err


def test_the_readmes_graph_double_demo_sends_and_gets_its_statuses(tmp_path: Path) -> None:
    states, err = _run_demo(tmp_path)
    assert states and states[0] == "read", (states, err)
    assert "refused" not in err and "Traceback" not in err, err


def test_the_double_says_when_the_daemon_refuses_its_statuses(tmp_path: Path) -> None:
    # The mistake the README used to lead to: a double that does not sign as the daemon.
    states, err = _run_demo(tmp_path, tamper=" --app-secret not-the-daemons")
    assert states and states[0] != "read", states
    assert 'the daemon refused the "sent" status' in err and "--app-secret" in err, err
