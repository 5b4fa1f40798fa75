"""A database of a studio's rows made by the real daemon and copied across a year, and a
daemon config to open it with (the query-plan and retention tests)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import trio

from recado.testing.multiply_rows import fresh_database, multiply
from recado.testing.seed_studio import seed_studio

# The config the seed was played with, minus what needs its doubles: the same services and
# sync job, so pages show them.
TABLES = (
    '[[services]]\nname = "crm"\nbase_url = "http://127.0.0.1:9"\n'
    '[[flows]]\nevent = "appointment.created"\nactions = ["http:crm:POST:/appointments"]\n'
    '[[sync]]\nname = "clients"\nschedule = "0 3 * * *"\n'
    'source = "crm:GET:/clients?since={cursor}"\ntarget = "crm:POST:/clients"\n'
)


def make_seed(directory: Path) -> Path:
    """The seed database, played once (about 15 s) and kept in ``directory``."""
    db = directory / "seed" / "var" / "recado.db"
    if not db.exists():
        trio.run(seed_studio, directory / "seed")
    return db


def year_of_data(seed_db: Path, daemon_dir: Path, copies: int) -> Path:
    """``daemon_dir``'s database (``running_daemon(daemon_dir, TABLES)`` opens it) with
    ``copies`` copies of the seed over 400 days; returns the database file."""
    db = daemon_dir / "var" / "recado.db"
    if db.parent.exists():
        shutil.rmtree(db.parent)
    fresh_database(db)
    multiply(seed_db, db, copies)
    return db


def read_only(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn
