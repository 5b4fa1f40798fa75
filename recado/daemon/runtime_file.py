"""``<data_dir>/recado.runtime.json``: where the running daemon listens, for the CLI and tests.

The configured address may say port 0 (tests) or a host the CLI cannot guess; the bound
addresses are written here once both listeners are up, and removed on a clean exit. Only the
daemon holding the data directory's lock (``lock.py``) writes or removes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

NAME = "recado.runtime.json"


def write_runtime(data_dir: Path, info: dict[str, Any]) -> None:
    path = data_dir / NAME
    tmp = path.with_name(NAME + ".new")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_runtime(data_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((data_dir / NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    pid = info.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return None
    return info if isinstance(info, dict) else None


def remove_runtime(data_dir: Path) -> None:
    (data_dir / NAME).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
