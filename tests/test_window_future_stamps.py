"""An inbound message stamped in the future never opens the 24 h window past the moment the
daemon received it (QA10 finding 6): Meta's stamp is clamped to the receipt time plus a small
clock-skew allowance, on the live path and on a replay."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as hs

from recado.clock import from_unix, iso, parse_iso
from recado.rules.bounds import LATEST_UNIX
from recado.rules.window import (
    CLOCK_SKEW,
    WINDOW,
    Ledger,
    advance_inbound,
    window_start,
    window_state,
)
from recado.storage.migrate import migrate
from recado.storage.webhook_apply import apply_body
from recado.testing import webhook_bodies as wb
from tests.webhook_helpers import deliver, query, webhook_daemon

RECEIVED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EARLIEST = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())


@given(
    stamps=hs.lists(hs.integers(EARLIEST, LATEST_UNIX - 1), min_size=1, max_size=6),
    later_s=hs.integers(0, 10**9),
)
def test_no_stamp_keeps_the_window_open_past_receipt_plus_24_hours(
    stamps: list[int], later_s: int
) -> None:
    ledger = Ledger("5511")
    for ts in stamps:
        stamped = from_unix(ts)
        assert stamped is not None
        start = window_start(stamped, RECEIVED)
        # A stamp in the past is Meta's own receipt time and stays as it is.
        assert start == (stamped if stamped <= RECEIVED + CLOCK_SKEW else RECEIVED + CLOCK_SKEW)
        ledger = advance_inbound(ledger, start)
    after = RECEIVED + CLOCK_SKEW + WINDOW + timedelta(seconds=later_s)
    assert not window_state(ledger, after).open


async def test_future_stamps_open_the_window_from_the_receipt_only(daemon_dir: Path) -> None:
    far = int(datetime(2099, 12, 31, tzinfo=UTC).timestamp())  # inside the accepted range
    async with webhook_daemon(daemon_dir) as (daemon, client):
        before = datetime.now(UTC)
        for wa_id, ts in (
            ("5511900000001", far),
            ("5511900000002", int(before.timestamp()) + 7200),
        ):
            await deliver(daemon, client, wb.inbound_text("Oi", wa_id=wa_id, ts=ts))
        rows = query(
            daemon,
            "SELECT c.wa_id, c.last_inbound_at, i.ts, w.received_at FROM conversations c "
            "JOIN inbound_messages i ON i.wa_id = c.wa_id "
            "JOIN webhook_inbox w ON w.id = i.inbox_id ORDER BY c.wa_id",
        )
        assert len(rows) == 2
        for row in rows:
            received = parse_iso(row["received_at"])
            assert row["last_inbound_at"] <= (received + CLOCK_SKEW).timestamp()
            assert row["ts"] > row["last_inbound_at"]  # the message keeps Meta's own stamp


def test_a_body_applied_late_opens_the_window_from_its_receipt() -> None:
    """A body kept (storage fault) or replayed is applied long after it arrived: the clamp
    is the arrival, not the moment of applying."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrate(conn)
    body = wb.encode(wb.envelope([wb.inbound_text("Oi", ts=LATEST_UNIX - 10)]))
    conn.execute(
        "INSERT INTO webhook_inbox(received_at, body, body_sha256) VALUES (?, ?, '')",
        (iso(RECEIVED), body),
    )
    conn.execute("BEGIN")
    apply_body(conn, 1, body, RECEIVED + timedelta(days=30))
    conn.execute("COMMIT")
    (ledger,) = conn.execute("SELECT last_inbound_at FROM conversations").fetchall()
    assert ledger[0] == int((RECEIVED + CLOCK_SKEW).timestamp())
