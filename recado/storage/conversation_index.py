"""The conversations index (docs/reference.md §9.2): one row per client the studio talks
to, most recent activity first, found by name or number."""

from __future__ import annotations

import sqlite3

import msgspec

# The search is the operator's own text: bounded before it reaches SQL.
SEARCH_MAX = 100


class ConversationSummary(msgspec.Struct, frozen=True, kw_only=True):
    wa_id: str
    profile_name: str | None
    last_at: int | None  # Meta's unix seconds of the newest message either way
    last_inbound_at: int | None
    inbound_count: int
    outbound_count: int
    echo_count: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conversation_index(
    conn: sqlite3.Connection, search: str | None, limit: int, offset: int
) -> list[ConversationSummary]:
    """Conversations whose profile name holds ``search`` (any case) or whose number holds
    its digits, newest activity first."""
    # A ledger row without a number (a send whose answer named nobody) is no conversation.
    where = "WHERE wa_id <> ''"
    args: list[str] = []
    if search:
        digits = "".join(c for c in search if c.isascii() and c.isdigit())
        match = "profile_name LIKE ? ESCAPE '\\'"
        args.append(_like(search))
        if digits:
            match += " OR wa_id LIKE ?"
            args.append(f"%{digits}%")
        where += f" AND ({match})"
    rows = conn.execute(
        "SELECT wa_id, profile_name, "
        " MAX(COALESCE(last_inbound_at, 0), COALESCE(last_outbound_at, 0), "
        "  COALESCE(last_echo_at, 0)) AS last_at, "
        " last_inbound_at, inbound_count, outbound_count, echo_count "
        f"FROM conversations {where} ORDER BY last_at DESC, wa_id LIMIT ? OFFSET ?",
        (*args, limit, offset),
    ).fetchall()
    return [ConversationSummary(**{**dict(r), "last_at": r["last_at"] or None}) for r in rows]
