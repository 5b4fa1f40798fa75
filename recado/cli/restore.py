"""``recado restore PATH``: put a backup back, with the daemon stopped (storage/restore.py).

The data directory's lock (``daemon/lock.py``) is taken for the whole restore: while a
daemon runs the restore is refused, naming its pid, and no daemon can start halfway
through."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recado.cli.client import fail
from recado.config import ConfigError, load_config
from recado.daemon.lock import DataDirBusy
from recado.daemon.lock import acquire as acquire_lock
from recado.storage.restore import RestoreRefused, restore

ConfigPath = Callable[[argparse.Namespace], Path]


def install(sub: Any, common: argparse.ArgumentParser, config_path: ConfigPath) -> None:
    p = sub.add_parser(
        "restore",
        parents=[common],
        help="put a backup back as the database (recado must be stopped)",
    )
    p.add_argument("path", help="the backup file (e.g. one listed on the backups page)")
    p.set_defaults(func=lambda args: run_restore(Path(args.path), config_path(args)))


def run_restore(source: Path, config: Path) -> int:
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        return fail(f"cannot use {config}:\n" + "\n".join(exc.problems))
    data_dir = cfg.daemon.data_path
    source = source.expanduser().resolve()
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = acquire_lock(data_dir)
    except DataDirBusy as exc:
        return fail(f"restore refused: recado must be stopped first ({exc})")
    except OSError as exc:
        return fail(f"restore refused: cannot use the data directory {data_dir}: {exc.strerror}")
    try:
        done = restore(source, data_dir, datetime.now(UTC))
    except RestoreRefused as exc:
        return fail(f"restore refused: {exc}")
    except OSError as exc:
        return fail(f"restore failed, the database in place is unchanged: {exc}")
    finally:
        lock.release()
    print(
        f"restored {done.source} (schema {done.schema_version}, integrity_check ok, "
        f"{done.bytes} bytes) as {done.database}"
    )
    if done.kept_aside:
        print(f"the database that was there is kept at {done.kept_aside}")
    if done.schema_version < done.known_version:
        print(
            f"the next start applies the migrations {done.schema_version + 1} to "
            f"{done.known_version}"
        )
    print("start recado again (e.g. systemctl start recado)")
    return 0
