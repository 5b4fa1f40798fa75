"""One bad webhook item never fails its body: malformed or out-of-range integers become
``bad_item`` at the parser, an item whose apply raises is kept as ``item_failed``, and the
other items of the body apply. Against a real SQLite file, with the real schema."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recado.rules.bounds import LATEST_UNIX, SQL_INT_MAX
from recado.storage.actor import connect_writer
from recado.storage.inbox import insert_inbox
from recado.storage.migrate import migrate
from recado.storage.webhook_apply import ReplyContext, apply_body
from recado.storage.webhook_set_aside import set_aside_items
from recado.testing import webhook_bodies as wb
from recado.whatsapp.webhook_parse import BadItem, InboundMessage, StatusUpdate, parse_body

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
T0 = 1767225600
REPLIES = ReplyContext(
    tz=ZoneInfo("America/Sao_Paulo"),
    studio_name="Estúdio",
    booking_url="https://example.com/agendar",
    public_base_url="https://example.com",
    voucher_key=b"k" * 32,
    mode="dry_run",
)

# Values that look like integers to a careless parser, or are integers out of range.
BAD_INTS: list[Any] = [
    "²",  # superscript two: str.isdigit() is True, int() raises
    "١٢٣",  # Arabic-Indic digits: int() accepts them
    "１７６７２２５６００",  # fullwidth digits
    " 1767225600",
    "1767225600.0",
    "-1",
    "9" * 30,
    "9" * 5000,  # past Python's int() digit limit
    2**63,
    -(2**63) - 1,
    1.5,
    True,
    [],
    {},
]


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = connect_writer(tmp_path / "recado.db")
    migrate(c)
    yield c
    c.close()


def _apply(conn: sqlite3.Connection, changes: list[dict[str, Any]]) -> tuple[int, dict[str, int]]:
    raw = wb.encode(wb.envelope(changes))
    conn.execute("BEGIN IMMEDIATE")
    inbox_id = insert_inbox(conn, NOW, raw, True, "messages", "127.0.0.1")
    counts = apply_body(conn, inbox_id, raw, NOW, REPLIES)
    conn.execute("COMMIT")
    return inbox_id, counts


def _rows(conn: sqlite3.Connection, sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, args).fetchall()]


def _with(change: dict[str, Any], key: str, value: Any, where: str = "messages") -> dict:
    item = change["value"][where][0]
    parts = key.split(".")
    for part in parts[:-1]:
        item = item.setdefault(part, {})
    item[parts[-1]] = value
    return change


# Every integer a webhook item carries, and where the parser must say the problem is.
INT_FIELDS = [
    (lambda v: _with(wb.inbound_text(), "timestamp", v), "value.messages[0].timestamp"),
    (lambda v: _with(wb.status("wamid.S", "read"), "timestamp", v, "statuses"), "timestamp"),
    (
        lambda v: _with(
            wb.status("wamid.S", "sent"), "conversation.expiration_timestamp", v, "statuses"
        ),
        "value.statuses[0].conversation.expiration_timestamp",
    ),
    (
        lambda v: _with(
            wb.status("wamid.S", "failed", errors=[{"code": 1}]),
            "errors",
            [{"code": v}],
            "statuses",
        ),
        "value.statuses[0].errors[0].code",
    ),
    (lambda v: _with(wb.echo(), "timestamp", v, "message_echoes"), "message_echoes[0].timestamp"),
]


@pytest.mark.parametrize("value", BAD_INTS, ids=lambda v: repr(v)[:24])
@pytest.mark.parametrize("field", range(len(INT_FIELDS)))
def test_a_malformed_or_huge_integer_is_a_bad_item_naming_its_path(field: int, value: Any) -> None:
    build, path_end = INT_FIELDS[field]
    good = wb.inbound_text("bom dia", id="wamid.GOOD")
    raw = wb.encode(wb.envelope([build(value), good]))
    items = parse_body(raw).items
    assert isinstance(items[-1], InboundMessage) and items[-1].wamid == "wamid.GOOD"
    bad = items[0]
    # A value of the wrong JSON type in a required field reads as missing; anything else
    # names the field and the problem.
    assert isinstance(bad, BadItem), bad
    assert bad.path.endswith(path_end) or bad.problem.startswith("missing"), bad


@given(
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers().map(str)
    | st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=25)
)
def test_a_timestamp_is_parsed_only_inside_the_bounds(value: Any) -> None:
    raw = wb.encode(wb.envelope([_with(wb.inbound_text(), "timestamp", value)]))
    (item,) = parse_body(raw).items
    ascii_int = isinstance(value, int) or (value.isascii() and value.isdigit())
    in_range = ascii_int and len(str(value)) <= 20 and 946684800 <= int(value) < LATEST_UNIX
    if in_range:
        assert isinstance(item, InboundMessage) and item.timestamp == int(value)
    else:
        assert isinstance(item, BadItem) and item.path.endswith(".timestamp"), item


def test_poison_items_among_good_ones_apply_the_good_ones(conn: sqlite3.Connection) -> None:
    poison = [
        _with(wb.inbound_text(id="wamid.P1"), "timestamp", "²"),
        _with(wb.inbound_text(id="wamid.P2"), "timestamp", 10**17),
        _with(wb.status("wamid.P3", "failed"), "errors", [{"code": 2**63}], "statuses"),
    ]
    good = [
        wb.inbound_text("oi", id="wamid.G1", ts=T0),
        wb.status("wamid.G2", "delivered", ts=T0 + 1),
        wb.echo("já vou", id="wamid.G3", ts=T0 + 2),
    ]
    inbox_id, counts = _apply(conn, [poison[0], good[0], poison[1], good[1], poison[2], good[2]])
    assert counts.get("bad_item") == 3
    assert _rows(conn, "SELECT wamid FROM inbound_messages") == [{"wamid": "wamid.G1"}]
    assert _rows(conn, "SELECT wamid FROM message_statuses") == [{"wamid": "wamid.G2"}]
    assert _rows(conn, "SELECT wamid FROM echo_messages") == [{"wamid": "wamid.G3"}]
    (body,) = _rows(conn, "SELECT processed_at, error FROM webhook_inbox WHERE id = ?", inbox_id)
    assert body["processed_at"] is not None and body["error"] is None
    summaries = sorted(r.summary for r in set_aside_items(conn, 10))
    assert summaries == [
        "entry[0].changes[0].value.messages[0].timestamp: not an integer: '²'",
        "entry[0].changes[2].value.messages[0].timestamp: out of range: 100000000000000000 "
        "is not a unix time between 2000-01-01 and 2099-12-31",
        "entry[0].changes[4].value.statuses[0].errors[0].code: out of range: "
        "9223372036854775808 does not fit in 64 bits",
    ]
    assert SQL_INT_MAX == 2**63 - 1


def _appointment(conn: sqlite3.Connection, apt: str, starts_at: str) -> None:
    conn.execute(
        "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
        "VALUES ('e1', 'appointment.created', '2026-01-01T00:00:00Z', '{}', 'x', "
        "'2026-01-01T00:00:00Z')"
    )
    conn.execute(
        "INSERT INTO appointments(id, client_name, phone, wa_id, service, starts_at, status, "
        "last_event_id, created_at, updated_at) VALUES (?, 'Ana', '+5511987654321', "
        "'5511987654321', 'Corte', ?, 'scheduled', 'e1', '2026-01-01', '2026-01-01')",
        (apt, starts_at),
    )


def test_an_item_whose_apply_raises_is_set_aside_and_replay_recovers_it(
    conn: sqlite3.Connection,
) -> None:
    # Stored before inputs were bounded: a start time nothing can read.
    _appointment(conn, "apt-1", "not a time")
    tap = wb.inbound_button("CONFIRM:apt-1", "Confirmar", id="wamid.TAP", ts=T0)
    good = wb.inbound_text("obrigada", id="wamid.OK", ts=T0 + 5)
    inbox_id, counts = _apply(conn, [tap, good])
    assert counts == {"item_failed": 1, "inbound": 1}
    # The failed item left nothing half done; its neighbour applied; the body is processed.
    assert _rows(conn, "SELECT wamid FROM inbound_messages") == [{"wamid": "wamid.OK"}]
    assert _rows(conn, "SELECT processed_at IS NOT NULL AS p FROM webhook_inbox") == [{"p": 1}]
    (record,) = _rows(conn, "SELECT * FROM webhook_records WHERE kind = 'item_failed'")
    data = json.loads(record["data_json"])
    assert data["error"].startswith("ValueError: Invalid isoformat string")
    assert data["path"] == "entry[0].changes[0].value.messages[0]"
    assert data["item"]["id"] == "wamid.TAP" and data["item"]["button"]["payload"]
    assert record["field"] == "messages" and record["wa_id"] == "5511987654321"

    # Replaying before the fix keeps one failure record (updated), not two.
    raw = conn.execute("SELECT body FROM webhook_inbox").fetchone()[0]
    conn.execute("BEGIN IMMEDIATE")
    assert apply_body(conn, inbox_id, raw, NOW, REPLIES)["item_failed"] == 1
    conn.execute("COMMIT")
    assert len(_rows(conn, "SELECT id FROM webhook_records")) == 1

    conn.execute("UPDATE appointments SET starts_at = '2026-01-03T15:00:00.000Z'")
    conn.execute("BEGIN IMMEDIATE")
    counts = apply_body(conn, inbox_id, raw, NOW, REPLIES)
    conn.execute("COMMIT")
    assert counts == {"item_recovered": 1, "button_confirm": 1, "inbound_duplicate": 1}
    assert _rows(conn, "SELECT kind FROM webhook_records") == []
    assert _rows(conn, "SELECT status FROM appointments") == [{"status": "confirmed"}]
    # A replay after that is a no-op.
    before = _rows(conn, "SELECT * FROM inbound_messages ORDER BY wamid")
    conn.execute("BEGIN IMMEDIATE")
    counts = apply_body(conn, inbox_id, raw, NOW, REPLIES)
    conn.execute("COMMIT")
    assert counts == {"inbound_duplicate": 2}
    assert _rows(conn, "SELECT * FROM inbound_messages ORDER BY wamid") == before


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.sampled_from([2**63, -(2**63) - 1, 10**17, "²", "١٢٣", "9" * 30])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
KEYS = ["id", "from", "to", "timestamp", "type", "status", "text", "button", "context",
        "errors", "interactive", "biz_opaque_callback_data", "conversation", "pricing",
        "recipient_id"]  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    overrides=st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6),
    where=st.sampled_from(["messages", "statuses"]),
)
def test_arbitrary_values_in_an_item_never_fail_the_body(
    conn: sqlite3.Connection, overrides: dict[str, Any], where: str
) -> None:
    base = wb.inbound_text() if where == "messages" else wb.status(wb.wamid("ST"), "sent")
    base["value"][where][0].update(overrides)
    good_id = wb.wamid("GOOD")
    inbox_id, counts = _apply(conn, [base, wb.inbound_text("oi", id=good_id, ts=T0)])
    assert conn.execute("SELECT 1 FROM inbound_messages WHERE wamid = ?", (good_id,)).fetchone()
    (body,) = _rows(conn, "SELECT processed_at, error FROM webhook_inbox WHERE id = ?", inbox_id)
    assert body["processed_at"] is not None and body["error"] is None
    assert sum(counts.values()) == 2
    parsed = parse_body(wb.encode(wb.envelope([base])))
    assert all(isinstance(i, InboundMessage | StatusUpdate | BadItem) for i in parsed.items)


def test_the_migration_heals_ledger_timestamps_stored_out_of_range(tmp_path: Path) -> None:
    """A database from before the bounds, with a last inbound of 10^17: migration 7
    recomputes it from the client's sane messages, so new messages move it again."""
    from recado.storage.migrate import _statements, available

    c = connect_writer(tmp_path / "old.db")
    for mig in available()[:6]:
        for statement in _statements(mig.sql):
            c.execute(statement)
    c.execute(
        "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER, name TEXT, applied_at TEXT)"
    )
    c.executemany("INSERT INTO schema_version VALUES (?, 'old', 'x')", [(v,) for v in range(1, 7)])
    c.execute("INSERT INTO webhook_inbox(received_at, body, body_sha256) VALUES ('x', x'00', 'x')")
    for wamid, wa_id, ts in (("w1", "551", T0), ("w2", "551", 10**17), ("w3", "552", 10**17)):
        c.execute(
            "INSERT INTO inbound_messages(wamid, wa_id, ts, type, content_json, inbox_id, "
            "received_at) VALUES (?, ?, ?, 'text', '{}', 1, 'x')",
            (wamid, wa_id, ts),
        )
    c.executemany(
        "INSERT INTO conversations(wa_id, last_inbound_at, last_echo_at, updated_at) "
        "VALUES (?, ?, ?, 'x')",
        [("551", 10**17, T0), ("552", 10**17, -5), ("553", T0 + 9, None)],
    )
    assert migrate(c) == available()[-1].version
    rows = _rows(c, "SELECT wa_id, last_inbound_at, last_echo_at FROM conversations ORDER BY 1")
    assert rows == [
        {"wa_id": "551", "last_inbound_at": T0, "last_echo_at": T0},
        {"wa_id": "552", "last_inbound_at": None, "last_echo_at": None},
        {"wa_id": "553", "last_inbound_at": T0 + 9, "last_echo_at": None},
    ]
    c.close()
