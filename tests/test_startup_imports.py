"""What the daemon imports before it is ready (issue 16: start-to-ready under 1 s at 1 M
messages, where nearly all of it is the interpreter and the imports): nothing it never uses
at run time, and the version without asking the installed metadata."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

import recado

# Command-line tools and their renderers that a library pulls in when they are installed,
# which recado never runs: httpx's CLI (click + rich + pygments) was a quarter of start-up.
NEVER_AT_START = ("httpx._main", "rich", "pygments")


def _modules_after_import(module: str) -> set[str]:
    code = (
        f"import sys, json; import {module}; "
        "print(json.dumps([m for m, v in sys.modules.items() if v is not None]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return set(json.loads(out))


def test_the_daemon_does_not_import_command_line_tools_it_never_runs() -> None:
    loaded = _modules_after_import("recado.daemon.main")
    assert "httpx" in loaded
    assert not loaded & set(NEVER_AT_START)


def test_the_version_written_in_the_package_is_the_installed_one() -> None:
    assert recado.__version__ == version("recado")
