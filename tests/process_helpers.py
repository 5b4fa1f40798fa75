"""Helpers for tests that run the daemon and its doubles as separate processes."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``recado <args> --config <config>`` as an operator would type it."""
    return subprocess.run(
        [sys.executable, "-m", "recado", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def service_double_process(fail: int | None = None) -> Iterator[str]:
    """``python -m recado.testing.service_double`` on a free port; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "recado.testing.service_double", "--port", str(port)]
    if fail is not None:
        command += ["--fail", str(fail)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and "service double" in proc.stdout.readline()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
