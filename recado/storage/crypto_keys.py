"""The data keys (wrapped) and the ciphertexts made under them: reads, and the writes that
add a key, re-wrap keys under a new master key and rotate every ciphertext in one go.

Encryption happens outside (``runtime.keyring``): write functions get ciphertexts, never
plaintext, and may run twice (they only move bytes they are given).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recado.clock import iso
from recado.storage.audit import record_audit

# Every (table, ciphertext column, key id column) holding a secret.
CIPHERTEXTS: tuple[tuple[str, str, str], ...] = (
    ("whatsapp_connections", "token_ct", "token_key_id"),
    ("whatsapp_connections", "pin_ct", "pin_key_id"),
)


class RotationRaced(Exception):
    """A ciphertext changed between the read and the rotation's write: the rotation is
    rolled back whole and tried again."""


@dataclass(frozen=True)
class Sealed:
    """One stored ciphertext: where it is and what it is bound to."""

    table: str
    column: str
    key_column: str
    row_id: int
    key_id: str
    blob: bytes


def data_keys(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, master_id, wrapped, created_at, is_current FROM crypto_keys ORDER BY created_at"
    ).fetchall()
    return [dict(r) for r in rows]


def add_data_key(
    conn: sqlite3.Connection,
    key_id: str,
    master_id: str,
    wrapped: bytes,
    now: datetime,
    replace_current: bool,
) -> bool:
    """A data key, made current. Without ``replace_current`` (the first key of a fresh
    database) nothing is written when a current key exists already (False); with it, the
    current key (one the master key cannot open) stays, no longer current."""
    if replace_current:
        conn.execute("UPDATE crypto_keys SET is_current = 0 WHERE is_current = 1")
    elif conn.execute("SELECT 1 FROM crypto_keys WHERE is_current = 1").fetchone():
        return False
    conn.execute(
        "INSERT INTO crypto_keys(id, master_id, wrapped, created_at, is_current) "
        "VALUES (?, ?, ?, ?, 1)",
        (key_id, master_id, wrapped, iso(now)),
    )
    return True


def rewrap_keys(
    conn: sqlite3.Connection, rewrapped: list[tuple[str, str, bytes]], now: datetime
) -> None:
    """Data keys opened with the previous master key, wrapped again under the current one:
    (key id, new master id, new wrapped bytes)."""
    for key_id, master_id, wrapped in rewrapped:
        conn.execute(
            "UPDATE crypto_keys SET master_id = ?, wrapped = ? WHERE id = ?",
            (master_id, wrapped, key_id),
        )
    record_audit(
        conn,
        now,
        "keys.rewrap",
        "crypto_keys",
        "",
        "daemon",
        {"keys": [k for k, _, _ in rewrapped], "master_id": rewrapped[0][1] if rewrapped else ""},
    )


def sealed_values(conn: sqlite3.Connection) -> list[Sealed]:
    out: list[Sealed] = []
    for table, column, key_column in CIPHERTEXTS:
        rows = conn.execute(
            f"SELECT id, {key_column} AS key_id, {column} AS blob FROM {table} "
            f"WHERE {column} IS NOT NULL ORDER BY id"
        ).fetchall()
        out += [
            Sealed(table, column, key_column, r["id"], r["key_id"], bytes(r["blob"])) for r in rows
        ]
    return out


def rotate(
    conn: sqlite3.Connection,
    new_key: tuple[str, str, bytes],
    replaced: list[tuple[Sealed, bytes]],
    now: datetime,
    source_ip: str,
) -> dict[str, Any]:
    """Make ``new_key`` (id, master id, wrapped) the current data key, replace every
    ciphertext with its re-encryption under it, and drop the keys nothing uses any more.
    Each replacement is checked against the ciphertext it was made from; any other
    ciphertext found meanwhile (or one that changed) raises ``RotationRaced``."""
    key_id, master_id, wrapped = new_key
    conn.execute("UPDATE crypto_keys SET is_current = 0 WHERE is_current = 1")
    conn.execute(
        "INSERT INTO crypto_keys(id, master_id, wrapped, created_at, is_current) "
        "VALUES (?, ?, ?, ?, 1)",
        (key_id, master_id, wrapped, iso(now)),
    )
    for old, blob in replaced:
        cur = conn.execute(
            f"UPDATE {old.table} SET {old.column} = ?, {old.key_column} = ? "
            f"WHERE id = ? AND {old.key_column} = ? AND {old.column} = ?",
            (blob, key_id, old.row_id, old.key_id, old.blob),
        )
        if cur.rowcount != 1:
            raise RotationRaced(f"{old.table}.{old.column} of row {old.row_id} changed")
    for table, column, key_column in CIPHERTEXTS:
        left = conn.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL AND {key_column} != ?",
            (key_id,),
        ).fetchone()[0]
        if left:
            raise RotationRaced(f"{left} ciphertext(s) of {table}.{column} appeared meanwhile")
    retired = [r[0] for r in conn.execute("SELECT id FROM crypto_keys WHERE id != ?", (key_id,))]
    conn.execute("DELETE FROM crypto_keys WHERE id != ?", (key_id,))
    detail = {"key_id": key_id, "reencrypted": len(replaced), "retired": retired}
    record_audit(conn, now, "keys.rotate", "crypto_keys", source_ip, "operator", detail)
    return detail
