"""The conversations index (docs/reference.md §9.2): one row per customer the studio talks
to, most recent activity first, found by name, username or number."""

from __future__ import annotations

import sqlite3

import msgspec

# The search is the operator's own text: bounded before it reaches SQL.
SEARCH_MAX = 100


class ConversationSummary(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: int
    bsuid: str | None
    phone: str | None  # E.164
    wa_id: str | None  # Meta's digits, only when they differ from the phone's
    username: str | None
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
    """Conversations whose profile name or username holds ``search`` (any case; a leading
    ``@`` is the username's mark) or whose number holds its digits, newest activity first."""
    # Always true (ids start at 1): the condition of the index that serves the order.
    where = "WHERE l.customer_id > 0"
    args: list[str] = []
    if search:
        digits = "".join(c for c in search if c.isascii() and c.isdigit())
        match = "c.profile_name LIKE ? ESCAPE '\\' OR c.username LIKE ? ESCAPE '\\'"
        args += [_like(search), _like(search.removeprefix("@"))]
        if digits:
            match += " OR c.phone LIKE ? OR c.wa_id LIKE ?"
            args += [f"%{digits}%", f"%{digits}%"]
        where += f" AND ({match})"
    rows = conn.execute(
        "SELECT l.customer_id, c.bsuid, c.phone, c.wa_id, c.username, c.profile_name, "
        " MAX(COALESCE(l.last_inbound_at, 0), COALESCE(l.last_outbound_at, 0), "
        "  COALESCE(l.last_echo_at, 0)) AS last_at, "
        " l.last_inbound_at, l.inbound_count, l.outbound_count, l.echo_count "
        "FROM conversations l JOIN customers c ON c.id = l.customer_id "
        f"{where} ORDER BY last_at DESC, l.customer_id "
        "LIMIT ? OFFSET ?",
        (*args, limit, offset),
    ).fetchall()
    return [ConversationSummary(**{**dict(r), "last_at": r["last_at"] or None}) for r in rows]
