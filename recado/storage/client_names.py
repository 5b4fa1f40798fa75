"""Clients found by name for the operator pages: the names of migration 0014 (bookings'
names and WhatsApp profile names, kept by triggers), searched by word prefix."""

from __future__ import annotations

import sqlite3

import msgspec

from recado.rules.client_search import match_expression


class ClientMatch(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: int
    name: str  # the name of the client that matched (one of theirs, the first found)
    phone: str | None


def find_clients(conn: sqlite3.Connection, words: list[str], limit: int) -> list[ClientMatch]:
    """Up to ``limit`` clients with a name matching every word's prefix (a caller asks one
    more than it shows to know that more match). A customer merged into another is left
    out: its names and messages are the other's now."""
    # Walked as the index yields them, stopping at ``limit`` clients: grouping in SQL
    # would read every match of a short prefix first. A client has a few names at most.
    found: dict[int, ClientMatch] = {}
    for customer_id, name, phone in conn.execute(
        "SELECT n.customer_id, n.name, c.phone FROM client_names_fts f "
        "JOIN client_names n ON n.id = f.rowid JOIN customers c ON c.id = n.customer_id "
        "WHERE client_names_fts MATCH ? AND c.merged_into IS NULL",
        (match_expression(words),),
    ):
        if customer_id not in found:
            if len(found) == limit:
                break
            found[customer_id] = ClientMatch(customer_id=customer_id, name=name, phone=phone)
    return list(found.values())
