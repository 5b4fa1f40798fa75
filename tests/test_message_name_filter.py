"""The messages list filtered by the client's name (issue 15): typed as a receptionist types
it (no accents, any case, the start of any word), a name two clients share, a name nobody
has, input that is no name, and the plans of the queries behind it (migration 0014)."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.http.message_pages import CLIENTS_MAX
from recado.rules.client_search import NAME_INPUT_MAX, NameInputError, name_words
from recado.runtime.context import Daemon
from recado.storage.client_names import find_clients
from recado.storage.message_queries import list_messages
from recado.storage.migrate import migrate
from recado.testing.query_plans import plan_problems
from tests.test_message_exports import book_as
from tests.test_sender import stack

JOAO = ("João da Silva", "+5511987654321")
MARIA_1 = ("Maria Ávila", "+5521912345678")
MARIA_2 = ("MARIA ÁVILA Prado", "+5531998765432")
ANA = ("Ana Souza", "+5541991234567")


async def four_clients(daemon: Daemon, http: httpx.AsyncClient) -> None:
    for n, (name, phone) in enumerate((JOAO, MARIA_1, MARIA_2, ANA)):
        await book_as(daemon, http, f"apt-{n}", name, phone)


async def listed(http: httpx.AsyncClient, url: str, **params: str) -> dict[str, Any]:
    answer = await http.get(f"{url}/messages.json", params=params)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


async def test_accents_case_and_any_word_find_the_client(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, http):
        await four_clients(daemon, http)
        op = daemon.listeners["operator"].url
        joao = [m["id"] for m in (await listed(http, op, phone=JOAO[1]))["items"]]
        assert joao
        for typed in ("joao", "JOAO", "João", "jo", "silva", "SILV", "joao silva", "silva jo"):
            data = await listed(http, op, name=typed)
            assert [m["id"] for m in data["items"]] == joao, typed
            assert [c["name"] for c in data["clients"]["items"]] == ["João da Silva"], typed
            assert data["form"]["name"] == typed
        # An emoji beside the name is no word of it; an accent where the name has none is.
        assert [m["id"] for m in (await listed(http, op, name="joão 🌸"))["items"]] == joao
        assert [m["id"] for m in (await listed(http, op, name="Ána"))["items"]] != []
        # Words match from their start only, and every word typed must match.
        for typed in ("oao", "ilva", "joao souza"):
            assert (await listed(http, op, name=typed))["items"] == [], typed


async def test_a_name_two_clients_share_lists_both_with_their_phones(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, http):
        await four_clients(daemon, http)
        op = daemon.listeners["operator"].url
        data = await listed(http, op, name="maria avila")
        assert {m["client"] for m in data["items"]} == {MARIA_1[0], MARIA_2[0]}
        assert sorted(c["phone"] for c in data["clients"]["items"]) == [
            "(21) 91234-5678",
            "(31) 99876-5432",
        ]
        assert data["clients"]["more"] is False
        # Newest first across both, as the unfiltered list orders them.
        everyone = [m["id"] for m in (await listed(http, op))["items"]]
        assert [m["id"] for m in data["items"]] == [
            i for i in everyone if i in {m["id"] for m in data["items"]}
        ]
        page = await http.get(f"{op}/messages", params={"name": "maria avila"})
        assert "Mensagens dos clientes com esse nome:" in page.text
        assert "(21) 91234-5678" in page.text and "(31) 99876-5432" in page.text
        assert "João da Silva" not in page.text and "Ana Souza" not in page.text
        # Both filters: the name and one of the two numbers.
        both = await listed(http, op, name="maria", phone="(31) 99876-5432")
        assert {m["client"] for m in both["items"]} == {MARIA_2[0]}


async def test_no_client_with_the_name_says_so_in_pt_br(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, http):
        await four_clients(daemon, http)
        op = daemon.listeners["operator"].url
        data = await listed(http, op, name="Zuleica")
        assert data["items"] == [] and data["clients"] == {"items": [], "more": False}
        page = await http.get(f"{op}/messages", params={"name": "Zuleica"})
        assert page.status_code == 200
        assert "Nenhum cliente com esse nome." in page.text
        assert 'value="Zuleica"' in page.text
        # Without a name filter the page says nothing about clients.
        assert "Nenhum cliente" not in (await http.get(f"{op}/messages")).text


async def test_pages_the_older_link_and_the_csv_keep_the_name(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, http):
        await four_clients(daemon, http)
        op = daemon.listeners["operator"].url
        wanted = [m["id"] for m in (await listed(http, op, name="maria"))["items"]]
        assert len(wanted) >= 3
        seen: list[str] = []
        before: str | None = ""
        while before is not None:
            data = await listed(http, op, name="MARIA", limit="1", before=before)
            seen += [m["id"] for m in data["items"]]
            before = data["next_before"]
        assert seen == wanted
        page = await http.get(f"{op}/messages", params={"name": "Maria Á", "limit": "1"})
        assert "name=Maria%20%C3%81&amp;before=" in page.text
        assert "/messages.csv?state=&amp;kind=&amp;date=&amp;phone=&amp;name=Maria%20%C3%81" in (
            page.text
        )
        answer = await http.get(f"{op}/messages.csv", params={"name": "maria"})
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert [r[0] for r in rows[1:]] == wanted
        assert {r[1] for r in rows[1:]} == {MARIA_1[0], MARIA_2[0]}


async def test_more_clients_than_the_list_covers_says_so(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, http):
        for n in range(CLIENTS_MAX + 1):
            await book_as(daemon, http, f"apt-{n}", f"Cliente {n} Souza", f"+55119{80000000 + n}")
        op = daemon.listeners["operator"].url
        data = await listed(http, op, name="souza")
        assert len(data["clients"]["items"]) == CLIENTS_MAX and data["clients"]["more"]
        assert len({m["client"] for m in data["items"]}) <= CLIENTS_MAX
        page = await http.get(f"{op}/messages", params={"name": "souza"})
        assert f"Mais de {CLIENTS_MAX} clientes têm esse nome" in page.text
        one = await listed(http, op, name="cliente 7 souza")
        assert [c["name"] for c in one["clients"]["items"]] == ["Cliente 7 Souza"]
        assert one["clients"]["more"] is False


@pytest.mark.parametrize(
    "typed",
    [
        "a" * (NAME_INPUT_MAX + 1),
        "x" * 10_000,
        "ana\x00",
        "ana\nsouza",
        "\x1b[31mana",
        "🌸🌸",
        "-- ; *",
        "a b c d e f g h i",
    ],
)
async def test_input_that_is_no_name_is_a_422_naming_the_field(
    daemon_dir: Path, typed: str
) -> None:
    async with stack(daemon_dir) as (daemon, _double, http):
        op = daemon.listeners["operator"].url
        answer = await http.get(f"{op}/messages.json", params={"name": typed})
        assert answer.status_code == 422
        assert answer.json()["error"] == "invalid_field"
        assert answer.json()["field"] == "name"
        assert answer.json()["detail"].startswith("name: expected")
        assert (await http.get(f"{op}/messages.csv", params={"name": typed})).status_code == 422
        page = await http.get(
            f"{op}/messages", params={"name": typed}, headers={"Accept": "text/html"}
        )
        assert page.status_code == 422 and "text/html" in page.headers["content-type"]
        assert "name: esperado" in page.text


def _migrated(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn)
    return conn


@given(st.text(max_size=NAME_INPUT_MAX + 5))
def test_any_text_is_words_the_index_takes_or_a_refusal(typed: str) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    try:
        try:
            words = name_words(typed.strip() or "x")
        except NameInputError:
            return
        # No FTS syntax can be typed in: the search answers, found or not.
        assert find_clients(conn, words, 3) == []
    finally:
        conn.close()


def test_profile_names_renames_and_merges_keep_the_names(tmp_path: Path) -> None:
    """WhatsApp profile names are names too; a renamed client keeps the old name findable,
    and a merged one's names go to the customer it joined."""
    conn = _migrated(tmp_path / "n.db")
    now = "2026-12-01T10:00:00.000Z"
    conn.execute(
        "INSERT INTO customers(phone, profile_name, created_at, updated_at) VALUES "
        "('+5511900000001', 'Jô 🌸', ?, ?), ('+5511900000002', NULL, ?, ?)",
        (now, now, now, now),
    )
    assert [c.customer_id for c in find_clients(conn, ["JO"], 5)] == [1]
    conn.execute("UPDATE customers SET profile_name = 'Joana Dark' WHERE id = 1")
    assert [c.customer_id for c in find_clients(conn, ["dark"], 5)] == [1]
    assert [c.customer_id for c in find_clients(conn, ["jô"], 5)] == [1]
    conn.execute("UPDATE customers SET merged_into = 2, phone = NULL WHERE id = 1")
    found = find_clients(conn, ["joana"], 5)
    assert [(c.customer_id, c.phone) for c in found] == [(2, "+5511900000002")]
    conn.close()


def test_the_name_search_and_its_list_read_no_table_whole(tmp_path: Path) -> None:
    conn = _migrated(tmp_path / "p.db")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    find_clients(conn, ["ma", "avila"], CLIENTS_MAX + 1)
    list_messages(
        conn,
        state="sent",
        kind=None,
        day_start="2026-12-01T03:00:00.000Z",
        day_end="2026-12-02T03:00:00.000Z",
        phone=None,
        before=("2026-12-01T12:00:00.000Z", "m-1"),
        limit=50,
        customers=list(range(1, CLIENTS_MAX + 1)),
    )
    conn.set_trace_callback(None)
    # FTS5 traces its own bookkeeping as comments ("-- PRAGMA ..."), and after a later
    # migration changed the schema it reloads its config uncommented: neither is ours.
    ours = [
        sql
        for sql in statements
        if not sql.startswith(("--", "PRAGMA ")) and "_fts_config" not in sql
    ]
    assert len(ours) == 2
    for sql in ours:
        assert plan_problems(conn, sql, ()) == [], sql
    # The check would see a name looked up the way 0014 exists to avoid.
    assert plan_problems(
        conn, "SELECT id FROM appointments WHERE client_name LIKE 'ma%' LIMIT 5", ()
    )
    assert plan_problems(conn, "SELECT rowid FROM client_names_fts WHERE name = 'x'", ())
    conn.close()
