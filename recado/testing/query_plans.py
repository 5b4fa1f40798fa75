"""Which statements the daemon runs, and whether SQLite can answer each without reading a
growing table from end to end.

``StatementLog.connection_class()`` is a ``sqlite3.Connection`` that records every statement
it executes with its parameters (``DaemonHooks.storage_connection``): the real daemon on a
real file tells which queries a page or the start-up issues. ``plan_problems`` asks
``EXPLAIN QUERY PLAN`` about one of them, prepared with the same placeholders (a plan is
chosen before the values are known, so a literal would hide what the real statement does).

A statement is a problem when its plan reads a growing table whole (``SCAN``), builds an
automatic index for itself (a scan in disguise), or sorts every matching row to serve a
``LIMIT``. Growing means every table but the few whose size the config (or Meta's side)
bounds. Reading a partial index whole is not a problem: each of recado's holds a live queue
the daemon keeps short (bodies not processed yet, open alerts, queued messages, deliveries
due, items set aside), never the history.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any

# Tables whose size is bounded by the config or by the daemon itself, not by the studio's
# traffic: a scan of these is not a problem.
SMALL_TABLES = frozenset(
    {
        "schema_version",
        "settings",
        "breakers",
        "sync_state",
        "sqlite_sequence",
        "sqlite_master",
        "sqlite_schema",
        "sqlite_temp_master",
        # The WABA's templates and the newest 200 syncs that read them (storage/templates).
        "wa_templates",
        "wa_template_syncs",
        # The data directory's keys, and the WhatsApp connection flow: rows per operator
        # attempt to connect an account, not per message (migration 0009).
        "crypto_keys",
        "signup_states",
        "whatsapp_connections",
        "whatsapp_connection_steps",
        "whatsapp_smb_syncs",
        "product_events",
        # Incidents and their post-mortems: a handful a month, one per cause at a time
        # (migration 0011); their timelines and contingency replies are read by index.
        "incidents",
        "postmortems",
    }
)
_CHECKED = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "REPLACE")
_NAMES = re.compile(
    r"\b(?:FROM|JOIN|UPDATE|INTO)\s+([A-Za-z_][\w]*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?",
    re.IGNORECASE,
)
_NOT_ALIAS = frozenset(
    {
        *("WHERE", "LEFT", "RIGHT", "INNER", "CROSS", "JOIN", "ON", "ORDER", "GROUP", "LIMIT"),
        *("SET", "USING", "VALUES", "SELECT", "NATURAL", "OUTER", "UNION", "AS", "INDEXED"),
        *("NOT", "DEFAULT", "WINDOW", "HAVING"),
    }
)


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Any
    label: str  # what was being done when it ran (a page, the start-up)


@dataclass
class StatementLog:
    label: str = "start-up"
    entries: list[Statement] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sql: str, params: Any) -> None:
        with self._lock:
            self.entries.append(Statement(sql, params, self.label))

    def connection_class(self) -> type[sqlite3.Connection]:
        log = self

        class RecordingConnection(sqlite3.Connection):
            def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
                log.add(sql, parameters)
                return super().execute(sql, parameters)

            def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
                rows = list(parameters)
                if rows:
                    log.add(sql, rows[0])
                return super().executemany(sql, rows)

        return RecordingConnection

    def distinct(self) -> dict[str, Statement]:
        """One statement per SQL text (the plan does not depend on the values), first seen."""
        with self._lock:
            entries = list(self.entries)
        found: dict[str, Statement] = {}
        for entry in entries:
            found.setdefault(" ".join(entry.sql.split()), entry)
        return found


def _full_text_match(words: list[str]) -> bool:
    """An FTS5 table read through its MATCH constraint (``VIRTUAL TABLE INDEX 0:M1``: the
    index string after the colon names the constraints, M for a MATCH) walks the index of
    the terms asked for, not the table."""
    if "VIRTUAL" not in words or "INDEX" not in words:
        return False
    constraints = words[-1].partition(":")[2]
    return "M" in constraints


def checked(sql: str) -> bool:
    words = sql.lstrip().split(None, 1)
    return bool(words) and words[0].upper() in _CHECKED


def _tables_by_name(sql: str, tables: set[str]) -> dict[str, str]:
    """Each table of the statement and each alias, to the table it names."""
    names = {t: t for t in tables}
    for table, alias in _NAMES.findall(sql):
        if table in tables and alias and alias.upper() not in _NOT_ALIAS:
            names[alias] = table
    return names


def plan_problems(
    conn: sqlite3.Connection, sql: str, params: Any, small: frozenset[str] = SMALL_TABLES
) -> list[str]:
    """What is wrong with the plan of ``sql`` on ``conn``'s schema (empty when nothing)."""
    if not checked(sql):
        return []
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    partial = {
        r[0]
        for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        if r[1] and re.search(r"\)\s*WHERE\b", r[1], re.IGNORECASE)
    }
    names = _tables_by_name(sql, tables)
    details = [str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    growing = {n for n, t in names.items() if t not in small}
    problems = []
    has_limit = re.search(r"\bLIMIT\b", sql, re.IGNORECASE) is not None
    touches_growing = any(t not in small for t in names.values() if t in sql)
    for detail in details:
        words = detail.split()
        if len(words) >= 2 and words[0] in ("SCAN", "SEARCH") and words[1] in growing:
            index = words[-1] if "INDEX" in words else None
            if words[0] == "SCAN" and _full_text_match(words):
                continue
            if words[0] == "SCAN" and index not in partial:
                problems.append(f"reads {names[words[1]]} whole: {detail}")
            elif "USING" not in words:
                problems.append(f"searches {names[words[1]]} without an index: {detail}")
        if "AUTOMATIC" in words:
            problems.append(f"builds an index for itself (a scan): {detail}")
        if has_limit and touches_growing and detail.startswith("USE TEMP B-TREE FOR ORDER BY"):
            problems.append(f"sorts every matching row to serve a LIMIT: {detail}")
    return problems
