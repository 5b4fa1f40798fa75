"""Customers (``rules/identity.py``): the one place their rows and aliases are written.

``resolve_customer`` finds or creates the customer a payload is about from whatever it
carries (BSUID, ``wa_id``/phone, username, profile name): keys that arrive together are
linked; two customers a payload proves to be one person are merged (every row of the
younger moves to the older, whose aliases keep the younger's ids); a payload without a key
creates nobody. ``change_user_id`` applies Meta's ``user_changed_user_id`` and
``user_changed_number``: everything of the previous id moves to the new one.

``customer_aliases`` holds every id a customer has had: the current ones (``until`` NULL,
unique per kind and value, mirrored in the ``customers`` columns) and the ones it stopped
having (``until`` set). A retired BSUID still finds its person (Meta never gives it to
anyone else, and a late webhook may name it); a retired phone does not (a number can pass
to someone else).

A merged customer's row stays, its ids cleared and ``merged_into`` naming the kept one, so
a link to it still leads somewhere (``current_id``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import msgspec

from recado.clock import iso
from recado.rules.identity import BSUID, PHONE, WA_ID, Identity, Ids, Key, linked_ids, retired_keys
from recado.storage.ledger import merge_ledger

# Every table whose rows belong to a customer by a ``customer_id`` column: a merge moves
# them all (the ledger and the record links have their own rules below).
OWNED_TABLES = ("inbound_messages", "echo_messages", "messages", "appointments")


class CustomerRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    bsuid: str | None
    phone: str | None  # E.164
    wa_id: str | None  # Meta's digits, only when they differ from the phone's
    username: str | None
    profile_name: str | None
    created_at: str
    updated_at: str


def customer_row(conn: sqlite3.Connection, customer_id: int) -> CustomerRow | None:
    """The customer as they stand now (a merged one reads as the customer it joined)."""
    row = conn.execute(
        "SELECT id, bsuid, phone, wa_id, username, profile_name, created_at, updated_at "
        "FROM customers WHERE id = ?",
        (current_id(conn, customer_id),),
    ).fetchone()
    return CustomerRow(**dict(row)) if row else None


def current_id(conn: sqlite3.Connection, customer_id: int) -> int:
    """The customer a merged one joined (followed to the end), or the id itself."""
    seen = {customer_id}
    while True:
        row = conn.execute(
            "SELECT merged_into FROM customers WHERE id = ?", (customer_id,)
        ).fetchone()
        if row is None or row[0] is None or row[0] in seen:
            return customer_id
        customer_id = int(row[0])
        seen.add(customer_id)


def find_customer(conn: sqlite3.Connection, who: Identity) -> int | None:
    """The oldest customer any of the keys names, without writing anything."""
    found = _found(conn, who.lookup_keys())
    return found[0] if found else None


def resolve_customer(
    conn: sqlite3.Connection,
    who: Identity,
    now: datetime,
    *,
    same_as: Sequence[int | None] = (),
    forget_number: bool = False,
) -> int | None:
    """The customer ``who`` is about, created when no key is known (None, and nothing
    written, when ``who`` carries no key and ``same_as`` names nobody). ``same_as``: the
    customers the payload proves are this person too (the customer a tapped template went
    to, the one a status's message went to). ``forget_number``: the phone they had is no
    longer theirs (a number change)."""
    found = sorted(
        {current_id(conn, c) for c in same_as if c is not None}
        | set(_found(conn, who.lookup_keys()))
    )
    if who.bsuid and _only_retired(conn, who.bsuid):
        # A late webhook naming a BSUID the person had: it finds them, and stays old.
        who = replace(who, bsuid=None)
    if not found:
        return _create(conn, who, now) if who.has_key else None
    return _link(conn, found, who, now, forget_number=forget_number)


def change_user_id(
    conn: sqlite3.Connection,
    previous: str | None,
    new: str,
    now: datetime,
    *,
    number_changed: bool,
    new_wa_id: str | None = None,
) -> int:
    """Meta says the person once ``previous`` is now ``new`` (a BSUID each): one customer
    holds everything of both, with ``new`` current and ``previous`` kept as an alias. After
    a phone change (``number_changed``) the old phone and ``wa_id`` are no longer theirs:
    they are retired, and the new number is taken when Meta names it (``new_wa_id``);
    until a payload brings it, messages reach the person by the BSUID."""
    keys: list[Key] = [(BSUID, new)]
    if previous:
        keys.insert(0, (BSUID, previous))
    found = _found(conn, keys)
    who = Identity(bsuid=new, wa_id=new_wa_id)
    if not found:
        kept = _create(conn, who, now)
    else:
        kept = _link(conn, found, who, now, forget_number=number_changed)
    if previous and previous != new:
        known = conn.execute(
            "SELECT 1 FROM customer_aliases WHERE kind = ? AND value = ? AND customer_id = ?",
            (BSUID, previous, kept),
        ).fetchone()
        if known is None:
            conn.execute(
                "INSERT INTO customer_aliases(customer_id, kind, value, since, until) "
                "VALUES (?, ?, ?, ?, ?)",
                (kept, BSUID, previous, iso(now), iso(now)),
            )
    return kept


def reached_customer(conn: sqlite3.Connection, message_id: str) -> bool:
    """Whether the message's last request went to its customer (a current phone or BSUID
    of theirs), not to the test recipient it was redirected to or to an old number."""
    row = conn.execute(
        "SELECT a.to_number, m.customer_id FROM message_attempts a "
        "JOIN messages m ON m.id = a.message_id WHERE a.message_id = ? "
        "ORDER BY a.n DESC, a.id DESC LIMIT 1",
        (message_id,),
    ).fetchone()
    if row is None or row["customer_id"] is None:
        return False
    owner = conn.execute(
        "SELECT 1 FROM customer_aliases WHERE customer_id = ? AND until IS NULL "
        "AND (value = ? OR (kind = ? AND '+' || value = ?))",
        (current_id(conn, row["customer_id"]), row["to_number"], WA_ID, row["to_number"]),
    ).fetchone()
    return owner is not None


def link_record(conn: sqlite3.Connection, record_id: int, customer_id: int) -> None:
    """A kept webhook record (history, address-book sync) is about this customer too."""
    conn.execute(
        "INSERT OR IGNORE INTO record_customers(record_id, customer_id) VALUES (?, ?)",
        (record_id, customer_id),
    )


def _found(conn: sqlite3.Connection, keys: Sequence[Key]) -> list[int]:
    """The customers the keys name, oldest first (each key: its current owner, else for a
    BSUID the last one that had it)."""
    found: set[int] = set()
    for kind, value in keys:
        row = conn.execute(
            "SELECT customer_id FROM customer_aliases WHERE kind = ? AND value = ? "
            "AND (until IS NULL OR kind = ?) "
            "ORDER BY until IS NOT NULL, until DESC, id DESC LIMIT 1",
            (kind, value, BSUID),
        ).fetchone()
        if row is not None:
            found.add(current_id(conn, int(row[0])))
    return sorted(found)


def _only_retired(conn: sqlite3.Connection, bsuid: str) -> bool:
    rows = conn.execute(
        "SELECT until IS NULL AS current FROM customer_aliases WHERE kind = ? AND value = ?",
        (BSUID, bsuid),
    ).fetchall()
    return bool(rows) and not any(r[0] for r in rows)


def _create(conn: sqlite3.Connection, who: Identity, now: datetime) -> int:
    ids = linked_ids([], who)
    at = iso(now)
    cur = conn.execute(
        "INSERT INTO customers(bsuid, phone, wa_id, username, profile_name, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (ids.bsuid, ids.phone, ids.wa_id, who.username, who.profile_name, at, at),
    )
    customer_id = int(cur.lastrowid or 0)
    for kind, value in ids.as_keys():
        _add_alias(conn, customer_id, kind, value, at)
    return customer_id


def _ids(conn: sqlite3.Connection, customer_id: int) -> Ids:
    row = conn.execute(
        "SELECT bsuid, phone, wa_id FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()
    return Ids(row["bsuid"], row["phone"], row["wa_id"])


def _link(
    conn: sqlite3.Connection,
    found: list[int],
    who: Identity,
    now: datetime,
    *,
    forget_number: bool = False,
) -> int:
    """``found`` (oldest first) are one person, ``who``: merge them into the oldest and set
    its ids as ``linked_ids`` says."""
    at = iso(now)
    before = [_ids(conn, c) for c in found]
    candidates = [Ids(b.bsuid) for b in before] if forget_number else before
    after = linked_ids(candidates, who)
    kept = found[0]
    names = conn.execute(
        "SELECT username, profile_name FROM customers WHERE id IN "
        f"({','.join('?' * len(found))}) ORDER BY id",
        found,
    ).fetchall()
    username = who.username or next((n[0] for n in names if n[0]), None)
    profile = who.profile_name or next((n[1] for n in names if n[1]), None)
    changed = len(found) > 1 or after != before[0] or (username, profile) != tuple(names[0])
    for other in found[1:]:
        _merge(conn, other, kept, at)
    for kind, value in retired_keys(before, after):
        conn.execute(
            "UPDATE customer_aliases SET until = ? WHERE kind = ? AND value = ? "
            "AND customer_id = ? AND until IS NULL",
            (at, kind, value, kept),
        )
    if changed:
        conn.execute(
            "UPDATE customers SET bsuid = ?, phone = ?, wa_id = ?, username = ?, "
            "profile_name = ?, updated_at = ? WHERE id = ?",
            (after.bsuid, after.phone, after.wa_id, username, profile, at, kept),
        )
    for kind, value in after.as_keys():
        _add_alias(conn, kept, kind, value, at)
    return kept


def _merge(conn: sqlite3.Connection, merged: int, kept: int, at: str) -> None:
    for table in OWNED_TABLES:
        conn.execute(f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?", (kept, merged))
    conn.execute(
        "INSERT OR IGNORE INTO record_customers(record_id, customer_id) "
        "SELECT record_id, ? FROM record_customers WHERE customer_id = ?",
        (kept, merged),
    )
    conn.execute("DELETE FROM record_customers WHERE customer_id = ?", (merged,))
    merge_ledger(conn, merged, kept, at)
    conn.execute(
        "UPDATE customer_aliases SET customer_id = ? WHERE customer_id = ?", (kept, merged)
    )
    conn.execute(
        "UPDATE customers SET bsuid = NULL, phone = NULL, wa_id = NULL, merged_into = ?, "
        "updated_at = ? WHERE id = ?",
        (kept, at, merged),
    )


def _add_alias(conn: sqlite3.Connection, customer_id: int, kind: str, value: str, at: str) -> None:
    """``value`` is a current id of the customer (a no-op when it is already)."""
    assert kind in (BSUID, PHONE, WA_ID)
    conn.execute(
        "INSERT INTO customer_aliases(customer_id, kind, value, since) "
        "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM customer_aliases "
        "WHERE kind = ? AND value = ? AND until IS NULL)",
        (customer_id, kind, value, at, kind, value),
    )
