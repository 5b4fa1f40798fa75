"""The 24 h window's ledger as production writes it is what ``rules/window.advance_inbound``
says, for any order of inbound messages (a late retry, equal stamps, a stored value from
before the bounds), and what the sender reads back is the same ``Ledger``."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as hs

from recado.clock import from_unix
from recado.rules.bounds import LATEST_UNIX
from recado.rules.window import Ledger, advance_inbound
from recado.storage.actor import connect_writer
from recado.storage.ledger import read_ledger, record_inbound
from recado.storage.migrate import migrate

WA = "5511987654321"
T0 = int(datetime(2026, 11, 24, 13, 0, tzinfo=UTC).timestamp())
# Bodies received after every stamp used here: the arrival clamp (rules/window) stays out.
LATER = datetime(2026, 12, 24, tzinfo=UTC)


def _memory() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrate(conn)
    return conn


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.integers(T0 - 200_000, T0 + 200_000), min_size=1, max_size=12))
def test_what_is_stored_is_the_rules_fold(stamps: list[int]) -> None:
    conn = _memory()
    expected = Ledger(WA)
    newest_wamid = ""
    for n, ts in enumerate(stamps):
        at = from_unix(ts)
        assert at is not None
        if expected.last_inbound_at is None or at > expected.last_inbound_at:
            newest_wamid = f"wamid.{n}"
        expected = advance_inbound(expected, at)
        record_inbound(conn, WA, None, ts, f"wamid.{n}", "x", arrived=LATER)
    assert read_ledger(conn, WA) == expected
    row = conn.execute(
        "SELECT last_inbound_wamid FROM conversations WHERE wa_id = ?", (WA,)
    ).fetchone()
    assert row[0] == newest_wamid


def test_a_stamp_stored_out_of_range_reads_as_none_and_is_replaced(tmp_path: Path) -> None:
    conn = connect_writer(tmp_path / "l.db")
    migrate(conn)
    conn.execute(
        "INSERT INTO conversations(wa_id, last_inbound_at, inbound_count, updated_at) "
        "VALUES (?, ?, 3, 'x')",
        (WA, LATEST_UNIX + 10**9),
    )
    ledger = read_ledger(conn, WA)
    assert ledger is not None and ledger.last_inbound_at is None and ledger.inbound_count == 3
    record_inbound(conn, WA, "Ana", T0, "wamid.new", "x", arrived=LATER)
    after = read_ledger(conn, WA)
    assert after is not None
    assert (after.last_inbound_at, after.inbound_count) == (from_unix(T0), 4)
    conn.close()


def test_the_profile_name_is_kept_when_a_message_lacks_it() -> None:
    conn = _memory()
    record_inbound(conn, WA, "Ana", T0, "wamid.1", "x", arrived=LATER)
    record_inbound(conn, WA, None, T0 + 5, "wamid.2", "y", arrived=LATER)
    row = conn.execute("SELECT profile_name FROM conversations").fetchone()
    assert row[0] == "Ana"
