"""The customers' migration on a database the previous schema made with real rows
(``tests/fixtures/schema12.db``, how it was made: ``make_schema12_db.py``): every wa_id and
phone becomes a customer with a phone, every row keeps its data and names its customer,
and the daemon runs on the result (a backup of it passes ``integrity_check``)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from recado.storage.migrate import available, current_version, migrate
from tests.conftest import running_daemon

FIXTURE = Path(__file__).parent / "fixtures" / "schema12.db"
CUSTOMERS_VERSION = next(m.version for m in available() if m.name.endswith("_customers.sql"))
# Tables whose rows the migration rebuilds or extends: none may lose one.
KEPT = (
    "appointments",
    "messages",
    "message_attempts",
    "message_statuses",
    "inbound_messages",
    "echo_messages",
    "webhook_records",
    "webhook_inbox",
    "events",
)


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "recado.db"
    shutil.copyfile(FIXTURE, dest)
    return dest


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict[str, object]]:
    return [dict(r) for r in conn.execute(sql).fetchall()]


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in KEPT}


@pytest.fixture
def before(tmp_path: Path) -> sqlite3.Connection:
    conn = _connect(_copy(tmp_path))
    assert current_version(conn) == CUSTOMERS_VERSION - 1
    return conn


def test_the_fixture_is_the_previous_schema_with_real_rows(before: sqlite3.Connection) -> None:
    counts = _counts(before)
    assert all(counts[t] > 0 for t in KEPT), counts
    assert before.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 5


def test_every_wa_id_and_phone_becomes_one_customer_with_a_phone(
    before: sqlite3.Connection,
) -> None:
    old_ledgers = {
        r["wa_id"]: r
        for r in _rows(
            before,
            "SELECT wa_id, profile_name, last_inbound_at, last_inbound_wamid, last_outbound_at, "
            "last_echo_at, inbound_count, outbound_count, echo_count FROM conversations",
        )
    }
    old_inbound = _rows(
        before, "SELECT wamid, wa_id, text_body, ts, original_wamid FROM inbound_messages"
    )
    assert any(r["original_wamid"] for r in old_inbound)  # an edit, linked to its message
    old_messages = _rows(before, "SELECT id, to_number, wa_id, state, wamid FROM messages")
    counts = _counts(before)

    assert migrate(before) == available()[-1].version
    conn = before
    assert _counts(conn) == counts  # no row lost, none invented
    customers = _rows(
        conn, "SELECT id, bsuid, phone, wa_id, profile_name FROM customers ORDER BY phone"
    )
    phones = [c["phone"] for c in customers]
    assert phones == sorted(
        {
            "+5511987654321",  # booked, wrote, tapped, got an echo
            "+4915112345678",  # a client abroad
            "+551134567890",  # a landline
            "+5521998877665",  # wrote, never booked
            "+551187654321",  # an 8-digit legacy mobile, as Meta named it
            "+5531987651234",  # a history thread
            "+5541988776655",  # the address-book sync
        }
    )
    assert all(c["bsuid"] is None for c in customers)
    names = {c["phone"]: c["profile_name"] for c in customers}
    assert names["+5511987654321"] == "Ana" and names["+551187654321"] == "Rui"
    # Each current id is an alias of its customer, and of no one else.
    aliases = _rows(conn, "SELECT customer_id, kind, value FROM customer_aliases")
    assert sorted((a["kind"], a["value"]) for a in aliases) == sorted(
        ("phone", c["phone"]) for c in customers
    )
    by_phone = {c["phone"]: c["id"] for c in customers}

    # The ledger, one row per customer, with every fact it had.
    ledgers = {
        r["phone"]: r
        for r in _rows(
            conn,
            "SELECT c.phone, l.* FROM conversations l JOIN customers c ON c.id = l.customer_id",
        )
    }
    assert set(ledgers) == {"+" + wa for wa in old_ledgers}
    for wa_id, old in old_ledgers.items():
        new = ledgers["+" + wa_id]
        for key in (
            "last_inbound_at",
            "last_inbound_wamid",
            "last_outbound_at",
            "last_echo_at",
            "inbound_count",
            "outbound_count",
            "echo_count",
        ):
            assert new[key] == old[key], (wa_id, key)

    # Inbound messages and echoes keep their data and name the customer of their wa_id.
    inbound = {r["wamid"]: r for r in _rows(conn, "SELECT * FROM inbound_messages")}
    for old in old_inbound:
        new = inbound[str(old["wamid"])]
        assert (new["wa_id"], new["text_body"], new["ts"], new["original_wamid"]) == (
            old["wa_id"],
            old["text_body"],
            old["ts"],
            old["original_wamid"],
        )
        assert new["customer_id"] == by_phone["+" + str(old["wa_id"])]
        assert new["user_id"] is None
    (echo,) = _rows(conn, "SELECT wa_id, customer_id FROM echo_messages")
    assert echo["customer_id"] == by_phone["+5511987654321"]

    # Messages keep their state and wamid, and name the customer of their phone.
    messages = {r["id"]: r for r in _rows(conn, "SELECT * FROM messages")}
    for old in old_messages:
        new = messages[str(old["id"])]
        assert (new["to_number"], new["state"], new["wamid"]) == (
            old["to_number"],
            old["state"],
            old["wamid"],
        )
        assert new["customer_id"] == by_phone[str(old["to_number"])]
    apts = _rows(conn, "SELECT phone, customer_id FROM appointments")
    assert all(a["customer_id"] == by_phone[str(a["phone"])] for a in apts)

    # The kept history and address-book records name their customers.
    linked = _rows(
        conn,
        "SELECT r.kind, c.phone FROM record_customers rc JOIN webhook_records r "
        "ON r.id = rc.record_id JOIN customers c ON c.id = rc.customer_id ORDER BY r.kind",
    )
    assert linked == [
        {"kind": "history", "phone": "+5531987651234"},
        {"kind": "state_sync", "phone": "+5541988776655"},
    ]

    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Its working tables are gone.
    leftovers = conn.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE 'migration_%' OR name LIKE ?",
        (f"%_{CUSTOMERS_VERSION:04d}",),
    ).fetchall()
    assert leftovers == []


def test_contingency_replies_planned_before_name_the_customer_of_their_number(
    before: sqlite3.Connection,
) -> None:
    """A reply planned by an incident (keyed by number before) is keyed by the customer: a
    client writing again during the same incident, from any id, gets no second one."""
    ana = before.execute(
        "SELECT id FROM messages WHERE to_number = '+5511987654321' LIMIT 1"
    ).fetchone()[0]
    before.execute(
        "INSERT INTO incidents(cause, severity, priority, state, title, opened_by, started_at, "
        "opened_at, last_update_at, updated_at) VALUES ('manual', 'sev2', 'P3', 'open', 'x', "
        "'operator', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z', "
        "'2026-11-24T10:00:00Z')"
    )
    before.execute(
        "INSERT INTO contingency_replies(incident_id, wa_id, message_id, inbound_wamid, "
        "planned_at) VALUES (1, '5511987654321', ?, 'wamid.IN0000000001', 'x')",
        (ana,),
    )
    migrate(before)
    (row,) = _rows(
        before,
        "SELECT c.phone, r.wa_id, r.message_id FROM contingency_replies r "
        "JOIN customers c ON c.id = r.customer_id",
    )
    assert row == {"phone": "+5511987654321", "wa_id": "5511987654321", "message_id": ana}


def test_a_failed_migration_leaves_the_previous_schema_whole(
    before: sqlite3.Connection,
) -> None:
    """The migration is one transaction: a database it cannot finish stays as it was."""
    counts = _counts(before)
    # A row the new customers table cannot take: the migration must roll back.
    before.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    with pytest.raises(sqlite3.OperationalError):
        migrate(before)
    before.execute("DROP TABLE customers")
    assert current_version(before) == CUSTOMERS_VERSION - 1
    assert _counts(before) == counts
    assert migrate(before) == available()[-1].version


async def test_the_daemon_runs_on_a_migrated_database_and_backs_it_up(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    (directory / "var").mkdir(parents=True)
    shutil.copyfile(FIXTURE, directory / "var" / "recado.db")
    async with running_daemon(directory) as daemon, httpx.AsyncClient() as client:
        assert daemon.storage.schema_version == available()[-1].version
        url = daemon.listeners["operator"].url
        dest = directory / "backups" / "migrated.db"
        done = await client.post(
            f"{url}/backup", json={"path": str(dest)}, headers={"X-API-Key": daemon.api_key}
        )
        assert done.status_code == 200, done.text
        assert done.json()["integrity_check"] == "ok"
        assert done.json()["schema_version"] == available()[-1].version
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 7
