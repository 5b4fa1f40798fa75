"""``<data_dir>/recado.runtime.json``: where the running daemon listens, for the CLI and tests.

The configured address may say port 0 (tests) or a host the CLI cannot guess; the bound
addresses are written here once both listeners are up, and removed on a clean exit. Only the
daemon holding the data directory's lock (``lock.py``) writes or removes it; like every file
of the data directory it is the daemon user's alone (``recado.private_files``).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from recado.private_files import write_private

NAME = "recado.runtime.json"


def write_runtime(data_dir: Path, info: dict[str, Any]) -> None:
    write_private(data_dir / NAME, (json.dumps(info, indent=2) + "\n").encode())


def read_runtime(data_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((data_dir / NAME).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        # Not ours, or cut short: as if no daemon ran.
        return None
    if not isinstance(info, dict):
        return None
    pid = info.get("pid")
    # 0 and negative numbers name process groups, not a process; Linux pids stop at 2^22.
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid <= 2**22:
        return None
    return info if _alive(pid) else None


def remove_runtime(data_dir: Path) -> None:
    # On a file system gone read-only the file stays; the next start's pid check ignores it.
    with contextlib.suppress(OSError):
        (data_dir / NAME).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
