"""A year of a studio's rows, made from a seed the real daemon wrote (``seed_studio``).

``multiply`` copies every row of the seed database ``copies`` times into a fresh database of
the current schema, the copies spread back over ``span_days``: copy ``k`` is the seed moved
``k × span / copies`` into the past, with ids of its own. Each table is copied by one
``INSERT … SELECT`` over the seed (attached), oldest copy first, so row ids grow with time as
they do in production; triggers run as they do for the product's own inserts, so counters
kept beside the rows come out as the daemon would have kept them.

How a column is copied follows from its name and declared type, so tables added later copy
without changes here: text ids (``id``, ``*_id``, ``wamid``, ``*_wamid``, ``*_key``,
``callback_data``, ``bsuid``) get ``.<k>``; integer ids (and ``merged_into``) get
``k × stride``; clients' numbers (``wa_id``, ``phone``, ``to_number``, ``recipient_id``, a
customer's alias of those kinds) get ``k`` in their last five digits;
``at`` and ``*_at`` texts move back in time, as do unix seconds (``ts``, ``*_ts`` and integer
``*_at``); what an audit row or a timeline entry names (``target``) gets ``.<k>`` like an id;
everything else (bodies, JSON, states) is copied as it is, but for the ids inside events'
data, which pages look up.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recado.storage.connections import connect_writer
from recado.storage.migrate import migrate

# Config-bounded tables and the ones the daemon keeps about itself: copied once at most.
NOT_COPIED = frozenset(
    {
        "schema_version",
        "settings",
        "breakers",
        "sync_state",
        "sqlite_sequence",
        "daily_counts",
        "live_counts",
        "db_sizes",
        "retention_runs",
        "backups",
        # The data directory's own keys (one current): a copy would be a second current key.
        "crypto_keys",
        # Kept by triggers from the customers and appointments copied (migration 0014).
        "client_names",
    }
)
# Counters the triggers keep: a copy starts from zero and the triggers count it again.
COUNTED = {"events": ("open_deliveries", "dead_deliveries")}
PHONES = frozenset({"wa_id", "phone", "to_number", "recipient_id"})
# Ids inside JSON that pages look up (the appointment page finds its events by them).
JSON_IDS = {"events": {"data_json": ("$.appointment_id",)}}
JSON_PHONES = {"events": {"data_json": ("$.client.phone",)}}


def _text_id(name: str) -> bool:
    return (
        name in ("id", "wamid", "callback_data") or name.endswith(("_id", "_wamid", "_key"))
    ) and name not in PHONES


def _json_expr(table: str, col: str, expr: str) -> str:
    for path in JSON_IDS.get(table, {}).get(col, ()):
        expr = (
            f"CASE WHEN json_type({expr}, '{path}') = 'text' THEN json_set({expr}, '{path}', "
            f"json_extract({expr}, '{path}') || '.' || ks.k) ELSE {expr} END"
        )
    for path in JSON_PHONES.get(table, {}).get(col, ()):
        value = f"json_extract({expr}, '{path}')"
        expr = (
            f"CASE WHEN json_type({expr}, '{path}') = 'text' THEN json_set({expr}, '{path}', "
            f"{_phone(value)}) ELSE {expr} END"
        )
    return expr


def _phone(expr: str) -> str:
    return f"substr({expr}, 1, length({expr}) - 5) || printf('%05d', ks.k)"


def column_expr(table: str, name: str, decl: str, is_pk: bool) -> str:
    """The SQL that copies column ``name`` of ``table`` for copy ``ks.k``."""
    col = f"t.{name}"
    integer = "INT" in decl.upper()
    if name in COUNTED.get(table, ()):
        return "0"
    if table == "customer_aliases" and name == "value":
        # A customer's ids, copied as their columns are (each current one has one owner).
        return (
            f"CASE WHEN t.kind = 'bsuid' THEN {col} || '.' || ks.k "
            f"WHEN length({col}) > 5 THEN {_phone(col)} ELSE {col} END"
        )
    if name == "bsuid":
        return f"{col} || '.' || ks.k"
    if name == "target":
        return f"CASE WHEN {col} = '' THEN '' ELSE {col} || '.' || ks.k END"
    if name in PHONES:
        return f"CASE WHEN length({col}) > 5 THEN {_phone(col)} ELSE {col} END"
    if integer and ((is_pk and name == "id") or name.endswith("_id") or name == "merged_into"):
        return f"{col} + (:last - ks.k) * :stride"
    if integer and (name == "ts" or name.endswith(("_ts", "_at"))):
        return f"{col} - CAST(ks.k * :step AS INTEGER)"
    if not integer and (name == "at" or name.endswith("_at")):
        return f"strftime('%Y-%m-%dT%H:%M:%fZ', {col}, '-' || (ks.k * :step) || ' seconds')"
    if _text_id(name):
        return f"{col} || '.' || ks.k"
    return _json_expr(table, name, col)


def copied_tables(seed: sqlite3.Connection) -> list[str]:
    rows = seed.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rootpage"
    ).fetchall()
    # A full-text index (and its shadow tables) follows its content table's triggers.
    virtual = [
        r[0]
        for r in seed.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )
    ]
    return [
        r[0]
        for r in rows
        if r[0] not in NOT_COPIED and not any(r[0].startswith(v) for v in virtual)
    ]


def _stride(seed: sqlite3.Connection, tables: list[str]) -> int:
    """One more than the largest integer id of the seed: copies never share an id."""
    top = 0
    for table in tables:
        cols = seed.execute(f"PRAGMA table_info({table})").fetchall()
        for _, name, decl, _, _, pk in cols:
            if "INT" in decl.upper() and ((pk and name == "id") or name.endswith("_id")):
                value = seed.execute(f"SELECT MAX({name}) FROM {table}").fetchone()[0]
                if isinstance(value, int):
                    top = max(top, value)
    return top + 1


def fresh_database(path: Path) -> None:
    """An empty database of the current schema, as the daemon creates it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect_writer(path)
    try:
        migrate(conn)
    finally:
        conn.close()


def multiply(
    seed_db: Path, target_db: Path, copies: int, span_days: float = 400.0
) -> dict[str, int]:
    """Fill ``target_db`` (migrated, empty) with ``copies`` copies of ``seed_db``'s rows;
    returns the row count of each table copied."""
    seed = sqlite3.connect(f"file:{seed_db}?mode=ro", uri=True)
    try:
        tables = copied_tables(seed)
        stride = _stride(seed, tables)
        columns = {t: seed.execute(f"PRAGMA table_info({t})").fetchall() for t in tables}
    finally:
        seed.close()
    conn = sqlite3.connect(target_db, isolation_level=None)
    counts: dict[str, int] = {}
    try:
        # A build, not the product's writes: nothing here has to survive a power cut.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("ATTACH DATABASE ? AS seed", (f"file:{seed_db}?mode=ro",))
        params = {"last": copies - 1, "stride": stride, "step": span_days * 86400 / copies}
        conn.execute("BEGIN")
        for table in tables:
            cols = columns[table]
            names = ", ".join(c[1] for c in cols)
            exprs = ", ".join(column_expr(table, c[1], c[2], bool(c[5])) for c in cols)
            conn.execute(
                "WITH RECURSIVE ks(k) AS (SELECT :last UNION ALL SELECT k - 1 FROM ks "
                f"WHERE k > 0) INSERT INTO main.{table} ({names}) SELECT {exprs} "
                # CROSS JOIN keeps ks outside: the oldest copy is inserted first.
                f"FROM ks CROSS JOIN seed.{table} AS t",
                params,
            )
            counts[table] = conn.execute(f"SELECT COUNT(*) FROM main.{table}").fetchone()[0]
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE seed")
    finally:
        conn.close()
    return counts
