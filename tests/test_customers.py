"""Customers: rules/identity decides what a person's ids become, storage/customers finds,
creates, links and merges them (one record per person, never one without a key, never two
for one person a payload proves to be one)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from recado.rules.identity import Identity, Ids, linked_ids, looks_like_bsuid, retired_keys
from recado.storage.customers import (
    change_user_id,
    current_id,
    customer_row,
    find_customer,
    resolve_customer,
)
from recado.storage.ledger import read_ledger, record_echo, record_inbound
from recado.storage.migrate import migrate

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
T0 = int(NOW.timestamp())
BSUID = "BR.7300112233445566"
BSUID_NEW = "BR.9911002233445566"
PHONE = "+5511987654321"
WA = "5511987654321"


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return conn


def _resolve(conn: sqlite3.Connection, **who: str) -> int:
    found = resolve_customer(conn, Identity(**who), NOW)
    assert found is not None
    return found


def _live(conn: sqlite3.Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        "SELECT id, bsuid, phone, wa_id, username, profile_name FROM customers "
        "WHERE merged_into IS NULL ORDER BY id"
    ).fetchall()
    return [dict(r) for r in rows]


# -- the pure decisions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "carried", "after"),
    [
        # A new person: from a wa_id, the phone it spells.
        ([], Identity(wa_id=WA), Ids(None, PHONE, None)),
        # A username-only user: the BSUID alone.
        ([], Identity(bsuid=BSUID), Ids(BSUID, None, None)),
        # A payload carrying both links them.
        ([Ids(None, PHONE)], Identity(bsuid=BSUID, wa_id=WA), Ids(BSUID, PHONE, None)),
        # Meta's digits without the 9th digit: kept beside the studio's phone, never over it.
        ([Ids(None, PHONE)], Identity(wa_id="551187654321"), Ids(None, PHONE, "551187654321")),
        # Two customers proven one: the older's ids, the younger's where the older has none.
        ([Ids(BSUID), Ids(None, PHONE)], Identity(), Ids(BSUID, PHONE, None)),
        # What the payload carries is the newest word.
        ([Ids(BSUID, PHONE)], Identity(bsuid=BSUID_NEW), Ids(BSUID_NEW, PHONE, None)),
    ],
)
def test_linked_ids(found: list[Ids], carried: Identity, after: Ids) -> None:
    assert linked_ids(found, carried) == after


def test_retired_keys_are_the_ones_no_longer_current() -> None:
    before = [Ids(BSUID, PHONE)]
    after = Ids(BSUID_NEW, PHONE)
    assert retired_keys(before, after) == [("bsuid", BSUID)]


_ids = hs.builds(
    Ids,
    hs.sampled_from([None, BSUID, BSUID_NEW]),
    hs.sampled_from([None, PHONE, "+4915112345678"]),
    hs.sampled_from([None, "551187654321"]),
).filter(lambda i: bool(i.as_keys()))
_carried = hs.builds(
    Identity,
    bsuid=hs.sampled_from([None, BSUID, "BR.1"]),
    wa_id=hs.sampled_from([None, WA, "551187654321", "4915112345678"]),
)


@given(hs.lists(_ids, max_size=3), _carried)
def test_a_key_carried_is_never_lost_and_nothing_is_invented(
    found: list[Ids], carried: Identity
) -> None:
    after = linked_ids(found, carried)
    keys = set(after.as_keys())
    if carried.bsuid:
        assert ("bsuid", carried.bsuid) in keys
    if carried.wa_id:
        assert after.wa_id == carried.wa_id or after.phone == "+" + carried.wa_id
    known = {v for f in found for _, v in f.as_keys()} | {
        v for v in (carried.bsuid, carried.wa_id) if v
    }
    for _, value in after.as_keys():
        assert value in known or value.lstrip("+") in known
    assert set(after.as_keys()) | set(retired_keys(found, after)) >= {
        k for f in found for k in f.as_keys()
    }


def test_bsuid_shapes() -> None:
    assert looks_like_bsuid("BR.1502576394655843")
    assert looks_like_bsuid("US.ENT.11815799212886844830")
    for text in ("5511987654321", "+5511987654321", "br.123", "BR.", "BR.12 3"):
        assert not looks_like_bsuid(text)


# -- storage: resolving, linking, merging ---------------------------------------------------


def test_no_key_creates_nobody() -> None:
    conn = _db()
    assert resolve_customer(conn, Identity(username="@ana", profile_name="Ana"), NOW) is None
    assert _live(conn) == []


def test_a_bsuid_is_stored_exactly_as_received() -> None:
    conn = _db()
    odd = "BR.00Ab12"  # leading zeros and letters: never read as a number
    c = _resolve(conn, bsuid=odd, username="@ana.k")
    assert _live(conn) == [
        {
            "id": c,
            "bsuid": odd,
            "phone": None,
            "wa_id": None,
            "username": "@ana.k",
            "profile_name": None,
        }
    ]


def test_the_same_keys_find_the_same_customer() -> None:
    conn = _db()
    a = _resolve(conn, wa_id=WA, profile_name="Ana")
    assert _resolve(conn, phone=PHONE) == a
    assert _resolve(conn, wa_id=WA) == a
    assert len(_live(conn)) == 1


def test_a_payload_with_both_links_them_and_later_payloads_with_either_find_one() -> None:
    conn = _db()
    booked = _resolve(conn, phone=PHONE)
    _resolve(conn, bsuid=BSUID, wa_id=WA, username="@ana.k")
    assert _resolve(conn, bsuid=BSUID) == booked
    assert _live(conn) == [
        {
            "id": booked,
            "bsuid": BSUID,
            "phone": PHONE,
            "wa_id": None,
            "username": "@ana.k",
            "profile_name": None,
        }
    ]


def test_two_customers_proven_one_merge_into_the_older_with_all_their_rows() -> None:
    conn = _db()
    by_bsuid = _resolve(conn, bsuid=BSUID)  # wrote first, username only
    by_phone = _resolve(conn, phone=PHONE)  # booked by the studio
    conn.execute("INSERT INTO webhook_inbox(received_at, body, body_sha256) VALUES ('x', x'', 'x')")
    for wamid, customer, ts in (("w1", by_bsuid, T0 - 60), ("w2", by_phone, T0 - 30)):
        conn.execute(
            "INSERT INTO inbound_messages(wamid, customer_id, ts, type, content_json, inbox_id, "
            "received_at) VALUES (?, ?, ?, 'text', '{}', 1, 'x')",
            (wamid, customer, ts),
        )
        record_inbound(conn, customer, ts, wamid, "x", arrived=NOW)
    record_echo(conn, by_phone, T0 - 10, "x")
    kept = _resolve(conn, bsuid=BSUID, wa_id=WA)
    assert kept == by_bsuid  # the older
    assert current_id(conn, by_phone) == kept
    assert customer_row(conn, by_phone) == customer_row(conn, kept)
    owners = conn.execute("SELECT DISTINCT customer_id FROM inbound_messages").fetchall()
    assert [r[0] for r in owners] == [kept]
    ledger = read_ledger(conn, kept)
    assert ledger is not None
    assert (int(ledger.last_inbound_at.timestamp()), ledger.inbound_count) == (T0 - 30, 2)
    rows = conn.execute("SELECT customer_id, echo_count, last_inbound_wamid FROM conversations")
    assert [tuple(r) for r in rows] == [(kept, 1, "w2")]
    assert [
        (r["bsuid"], r["phone"])
        for r in conn.execute("SELECT bsuid, phone FROM customers WHERE merged_into IS NULL")
    ] == [(BSUID, PHONE)]
    # The younger's ids are the older's aliases now: a late payload with them finds it.
    assert _resolve(conn, phone=PHONE) == kept


def test_a_bsuid_change_moves_everything_and_keeps_the_old_one_as_an_alias() -> None:
    conn = _db()
    c = _resolve(conn, bsuid=BSUID, wa_id=WA)
    moved = change_user_id(conn, BSUID, BSUID_NEW, NOW, number_changed=False)
    assert moved == c
    row = customer_row(conn, c)
    assert row is not None and (row.bsuid, row.phone) == (BSUID_NEW, PHONE)
    # A late webhook from before the change still finds the person, and the old BSUID
    # does not become theirs again (replies keep going to the new one).
    assert find_customer(conn, Identity(bsuid=BSUID)) == c
    assert _resolve(conn, bsuid=BSUID, username="@ana.k") == c
    row = customer_row(conn, c)
    assert row is not None and (row.bsuid, row.username) == (BSUID_NEW, "@ana.k")
    aliases = conn.execute(
        "SELECT kind, value, until IS NOT NULL AS retired FROM customer_aliases ORDER BY id"
    ).fetchall()
    assert [tuple(a) for a in aliases] == [
        ("bsuid", BSUID, 1),
        ("phone", PHONE, 0),
        ("bsuid", BSUID_NEW, 0),
    ]


def test_a_number_change_retires_the_old_phone() -> None:
    conn = _db()
    c = _resolve(conn, bsuid=BSUID, wa_id=WA)
    assert change_user_id(conn, BSUID, BSUID_NEW, NOW, number_changed=True) == c
    row = customer_row(conn, c)
    assert row is not None and (row.bsuid, row.phone, row.wa_id) == (BSUID_NEW, None, None)
    # The old number may pass to someone else: it no longer names this person.
    assert find_customer(conn, Identity(phone=PHONE)) is None
    someone = _resolve(conn, phone=PHONE)
    assert someone != c
    # Meta naming the new number links it.
    assert _resolve(conn, bsuid=BSUID_NEW, wa_id="5511912345678") == c
    row = customer_row(conn, c)
    assert row is not None and row.phone == "+5511912345678"


def test_a_change_for_ids_never_seen_creates_the_person_with_both() -> None:
    conn = _db()
    c = change_user_id(conn, BSUID, BSUID_NEW, NOW, number_changed=False)
    assert find_customer(conn, Identity(bsuid=BSUID)) == c
    assert find_customer(conn, Identity(bsuid=BSUID_NEW)) == c


def test_a_change_joining_two_known_customers_merges_them() -> None:
    conn = _db()
    old = _resolve(conn, bsuid=BSUID, wa_id=WA)
    new = _resolve(conn, bsuid=BSUID_NEW)  # wrote after the change, before its notice
    assert change_user_id(conn, BSUID, BSUID_NEW, NOW, number_changed=False) == old
    assert current_id(conn, new) == old
    assert len(_live(conn)) == 1


@settings(max_examples=80, deadline=None)
@given(
    hs.lists(
        hs.builds(
            Identity,
            bsuid=hs.sampled_from([None, BSUID, BSUID_NEW, "BR.3"]),
            wa_id=hs.sampled_from([None, WA, "551187654321", "4915112345678"]),
            phone=hs.sampled_from([None, PHONE, "+551134567890"]),
            username=hs.sampled_from([None, "@ana"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_sequence_of_payloads_keeps_one_owner_per_current_key(
    payloads: list[Identity],
) -> None:
    conn = _db()
    for who in payloads:
        found = resolve_customer(conn, who, NOW)
        assert (found is None) == (not who.has_key)
        if found is not None:
            # Every key a payload carried names the customer it resolved to, right after.
            for key in who.lookup_keys():
                if key[0] != "phone" or key[1] == who.phone:
                    assert find_customer(conn, Identity(**{_field(key[0]): key[1]})) == found
    live = _live(conn)
    for kind in ("bsuid", "phone"):
        values = [c[kind] for c in live if c[kind]]
        assert len(values) == len(set(values))
    current = conn.execute(
        "SELECT a.kind, a.value, a.customer_id, c.merged_into FROM customer_aliases a "
        "JOIN customers c ON c.id = a.customer_id WHERE a.until IS NULL"
    ).fetchall()
    assert all(r["merged_into"] is None for r in current)
    for c in live:
        assert any((c["bsuid"], c["phone"], c["wa_id"]))


def _field(kind: str) -> str:
    return {"bsuid": "bsuid", "phone": "phone", "wa_id": "wa_id"}[kind]
