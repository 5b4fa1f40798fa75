"""One daemon per data directory, and listening addresses that cannot be bound, as processes."""

from __future__ import annotations

import os
import resource
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recado.config import load_config
from recado.testing.daemon_process import DaemonProcess, write_config


def _run(
    config: Path, timeout_s: float = 30, nofile: int | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "recado", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        preexec_fn=limit,
    )
    return result, time.monotonic() - start


def _errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if "level=error" in line]


def _assert_one_clean_error(result: subprocess.CompletedProcess[str], elapsed: float) -> str:
    assert result.returncode == 1, result.stdout[-2000:]
    assert elapsed < 15
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert len(output) < 2000, output
    errors = _errors(result)
    assert len(errors) == 1, output
    return errors[0]


def test_second_daemon_on_one_data_dir_exits_naming_the_first(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    data_dir = load_config(config).daemon.data_path
    with DaemonProcess(config, test_hooks=False) as first:
        runtime = (first.data_dir / "recado.runtime.json").read_text()
        result, elapsed = _run(config)
        line = _assert_one_clean_error(result, elapsed)
        assert f"pid {first.pid}" in line
        assert str(data_dir) in line
        # The refused daemon touched nothing of the running one's.
        assert (first.data_dir / "recado.runtime.json").read_text() == runtime
        assert httpx.get(f"{first.operator_url}/healthz").status_code == 200
        lock = first.data_dir / "recado.lock"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        assert lock.read_text().strip() == str(first.pid)


def test_the_lock_goes_with_its_process_even_on_kill_9(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    DaemonProcess(config, test_hooks=False).start().kill()
    second = DaemonProcess(config, test_hooks=False).start()
    try:
        assert (second.data_dir / "recado.lock").read_text().strip() == str(second.pid)
    finally:
        assert second.terminate() == 0
    assert not (second.data_dir / "recado.runtime.json").exists()


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("key", ["public_listen", "operator_listen"])
def test_a_port_in_use_exits_at_once_naming_the_key(
    tmp_path: Path, busy_port: int, key: str
) -> None:
    other = "operator_listen" if key == "public_listen" else "public_listen"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "./var"\n[http]\n{key} = "127.0.0.1:{busy_port}"\n'
        f'{other} = "127.0.0.1:0"\n',
        encoding="utf-8",
    )
    result, elapsed = _run(config)
    line = _assert_one_clean_error(result, elapsed)
    assert f"http.{key}: 127.0.0.1:{busy_port} is already in use" in line
    assert not (tmp_path / "var" / "recado.runtime.json").exists()


@pytest.mark.parametrize(
    ("key", "address"),
    [
        ("public_listen", "192.0.2.1:0"),  # TEST-NET-1: on no interface of this machine
        ("operator_listen", "10.254.254.254:0"),  # private, but not ours
        ("public_listen", "host.invalid:8080"),
    ],
)
def test_an_address_that_cannot_be_bound_exits_at_once(
    tmp_path: Path, key: str, address: str
) -> None:
    other = "operator_listen" if key == "public_listen" else "public_listen"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "./var"\n[http]\n{key} = "{address}"\n{other} = "127.0.0.1:0"\n',
        encoding="utf-8",
    )
    result, elapsed = _run(config)
    line = _assert_one_clean_error(result, elapsed)
    assert f"http.{key}: {address} cannot be bound" in line


def test_the_lock_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    from recado.daemon.lock import acquire

    old = os.umask(0)
    try:
        lock = acquire(tmp_path)
    finally:
        os.umask(old)
    try:
        assert stat.S_IMODE((tmp_path / "recado.lock").stat().st_mode) == 0o600
    finally:
        lock.release()


def test_caps_the_file_limit_cannot_hold_refuse_to_start(tmp_path: Path) -> None:
    config = write_config(tmp_path, http_toml="public_max_connections = 2000\n")
    result, elapsed = _run(config, nofile=1024)
    line = _assert_one_clean_error(result, elapsed)
    assert "http.public_max_connections + http.operator_max_connections (2000 + 64)" in line
    assert "at most 1024" in line and "LimitNOFILE=" in line
    # Within the hard limit the daemon raises its own soft limit instead.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2000 + 64 + 512:
        pytest.skip(f"the hard RLIMIT_NOFILE here ({hard}) is too low to raise to")
    daemon = DaemonProcess(config, test_hooks=False, soft_nofile=1024).start()
    try:
        limits = Path(f"/proc/{daemon.pid}/limits").read_text()
        soft = next(line.split()[3] for line in limits.splitlines() if "open files" in line)
        assert int(soft) >= 2000 + 64
    finally:
        daemon.terminate()
