"""``recado check-config``: every problem at once, or a summary with secrets masked."""

from __future__ import annotations

import sys
from pathlib import Path

from recado.config import ConfigError, default_config_path, load_config, summarize


def check_config(path: Path | None) -> int:
    path = path or default_config_path()
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} in {path}", file=sys.stderr)
        return 1
    print(f"{path}: ok")
    print(summarize(cfg))
    return 0
