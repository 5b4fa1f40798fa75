"""``python -m recado.testing.run_with_hooks [--config PATH] [--test-hooks] [--no-group-commit]``:
the daemon exactly as ``recado run`` starts it, plus what tests and benches need and the
product does not carry.

- ``--test-hooks``: ``POST /_test/write`` on the operator listener (``test_routes``); the
  daemon then refuses ``whatsapp.mode = "enabled"``, at start and on reload.
- ``--no-group-commit``: one transaction per write, to measure what group commit buys.

Exit codes are those of ``recado run``: 0 after a clean stop, 1 when it cannot start, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from recado.config import default_config_path
from recado.daemon.hooks import DaemonHooks
from recado.daemon.main import run
from recado.testing.test_routes import install_test_routes


def hooks_from(args: argparse.Namespace) -> DaemonHooks:
    return DaemonHooks(
        operator_routes=install_test_routes if args.test_hooks else None,
        storage_max_batch=1 if args.no_group_commit else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recado.testing.run_with_hooks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--config", help="config file (default ./config.toml, then /etc/recado)")
    parser.add_argument("--test-hooks", action="store_true", help="install POST /_test/write")
    parser.add_argument("--no-group-commit", action="store_true", help="one write per commit")
    args = parser.parse_args(argv)
    config = Path(args.config) if args.config else default_config_path()
    return run(config, hooks=hooks_from(args))


if __name__ == "__main__":
    sys.exit(main())
