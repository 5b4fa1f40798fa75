"""A reader that stops reading (``recado status | head``) ends the CLI quietly: no
traceback, whichever verb was printing, on a pipe closed before or while it writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recado.testing.daemon_process import DaemonProcess, write_config

# Every kind of output: the daemon's answers (small and long), local output, argparse's help.
VERBS = [
    ("status",),
    ("messages", "list"),
    ("dlq", "list"),
    ("breakers", "list"),
    ("check-config",),
    ("--help",),
    ("messages", "--help"),
]


def _closed_pipe_run(config: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    try:
        extra = [] if "--help" in args else ["--config", str(config)]
        return subprocess.run(
            [sys.executable, "-m", "recado", *args, *extra],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> object:
    directory = tmp_path_factory.mktemp("pipes")
    path = write_config(directory)
    daemon = DaemonProcess(path, test_hooks=False).start()
    try:
        yield path
    finally:
        daemon.terminate()


@pytest.mark.parametrize("verb", VERBS, ids=" ".join)
def test_a_closed_pipe_ends_the_cli_without_a_traceback(config: Path, verb: tuple[str]) -> None:
    done = _closed_pipe_run(config, *verb)
    err = done.stderr.decode()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert "Exception ignored" not in err, err
    # argparse's help ignores a failed write on its own (exit 0); the rest end as a shell
    # reports a program a closed pipe stopped.
    assert done.returncode == (0 if "--help" in verb else 141), (done.returncode, err)
