"""The messages list as an operator uses it (issue 15): filtered by a client's number typed
as people write it, each row naming the client and when it goes or went out; one message's
page with what was sent, its links and the operator's actions; and the CSV exports of the
list, the dead letters and the daily report, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from hypothesis import given
from hypothesis import strategies as st

from recado.http.csv_exports import message_lines
from recado.http.message_pages import FormValues, MessageFilters
from recado.rules.csv_cells import FORMULA_STARTS, safe_cell
from recado.runtime.context import Daemon
from tests.test_sender import book, notice, notice_reaches, stack
from tests.webhook_helpers import query

OTHER = "+5521912345678"
# One client's number as people type it: national, with a trunk prefix, bare digits,
# international with spaces, Meta's digits.
ANA_WRITTEN = (
    "(11) 98765-4321",
    "011 98765-4321",
    "11987654321",
    "+55 11 98765-4321",
    "5511987654321",
)
CODES = ("queued", "sending", "sent", "delivered", "read", "failed", "canceled", "skipped")
LOCAL_TIME = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d")


def rows_of(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def book_as(daemon: Daemon, http: httpx.AsyncClient, apt: str, name: str, phone: str) -> None:
    """A booking for ``name`` through the events API, three days ahead."""
    starts = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="seconds")
    body = {
        "id": f"evt-{apt}",
        "type": "appointment.created",
        "occurred_at": "2026-11-24T10:00:00-03:00",
        "data": {
            "appointment_id": apt,
            "client": {"name": name, "phone": phone},
            "service": "Corte",
            "starts_at": starts,
            "location": "Rua A, 10",
        },
    }
    answer = await http.post(
        f"{daemon.listeners['public'].url}/api/v1/events",
        json=body,
        headers={"X-API-Key": daemon.api_key},
    )
    assert answer.status_code in (200, 202), answer.text


async def book_other(daemon: Daemon, http: httpx.AsyncClient) -> None:
    """A second client, whose name a spreadsheet would read as a formula."""
    await book_as(daemon, http, "apt-2", '=HYPERLINK("http://x")', OTHER)


async def two_clients(daemon: Daemon, http: httpx.AsyncClient) -> None:
    await book(daemon, http)
    await notice_reaches(daemon, "sent")
    await book_other(daemon, http)


async def test_a_national_number_finds_that_clients_rows_only(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await two_clients(daemon, client)
        op = daemon.listeners["operator"].url
        everyone = (await client.get(f"{op}/messages.json")).json()["items"]
        assert {m["client"] for m in everyone} == {"Ana Souza", '=HYPERLINK("http://x")'}
        for written in ANA_WRITTEN:
            items = (await client.get(f"{op}/messages.json", params={"phone": written})).json()
            assert {m["client"] for m in items["items"]} == {"Ana Souza"}, written
            assert len(items["items"]) == 2, written
            assert items["form"]["phone"] == written.strip()
        page = await client.get(f"{op}/messages", params={"phone": "(11) 98765-4321"})
        assert "Ana Souza" in page.text and "HYPERLINK" not in page.text
        assert 'value="(11) 98765-4321"' in page.text


async def test_a_bad_phone_or_day_names_the_field(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        op = daemon.listeners["operator"].url
        for params, field in (
            ({"phone": "(11) 8765-4321"}, "phone"),  # before the 9th digit: no number now
            ({"phone": "abc"}, "phone"),
            ({"phone": "9" * 41}, "phone"),
            ({"date": "2026-13-01"}, "date"),
            ({"date": "9999-12-31"}, "date"),
        ):
            answer = await client.get(f"{op}/messages.json", params=params)
            assert answer.status_code == 422, params
            assert answer.json()["error"] == "invalid_field"
            assert answer.json()["field"] == field
            assert answer.json()["detail"].startswith(f"{field}:")
            csv_answer = await client.get(f"{op}/messages.csv", params=params)
            assert csv_answer.status_code == 422, params
            page = await client.get(
                f"{op}/messages", params=params, headers={"Accept": "text/html"}
            )
            assert page.status_code == 422 and "text/html" in page.headers["content-type"]
            assert f"{field}:" in page.text


async def test_rows_say_when_it_goes_or_went_out(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        op = daemon.listeners["operator"].url
        items = (await client.get(f"{op}/messages.json")).json()["items"]
        by_kind = {m["kind"]: m for m in items}
        sent, reminder = by_kind["appointment_created"], by_kind["appointment_reminder"]
        assert sent["goes_out"] == "sent" and sent["sent_at"]
        assert reminder["goes_out"] == "due" and reminder["state"] == "queued"
        # The reminder goes out a day after it was queued, not "today" when it was made.
        assert reminder["goes_out_local"] != reminder["created_local"]
        assert LOCAL_TIME.fullmatch(reminder["goes_out_local"])
        page = (await client.get(f"{op}/messages")).text
        assert "sai em " + reminder["goes_out_local"] in page
        assert "saiu em " + sent["goes_out_local"] in page
        cells = re.findall(r'class="state">([^<]*)<', page)
        assert cells and not set(cells) & set(CODES)


async def test_a_message_page_shows_what_was_sent_and_what_the_operator_did(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir, "max_attempts = 1\n") as (daemon, double, client):
        double.fail_next(1, 131000, http_status=500)
        await book(daemon, client)
        await notice_reaches(daemon, "dead")
        job = notice(daemon)
        op = daemon.listeners["operator"].url
        headers = {"X-API-Key": daemon.api_key}
        await client.post(f"{op}/messages/{job['id']}/retry", headers=headers)
        await notice_reaches(daemon, "sent")
        reminder = query(daemon, "SELECT id FROM messages WHERE kind='appointment_reminder'")[0]
        await client.post(f"{op}/messages/{reminder['id']}/discard", headers=headers)
        data = (await client.get(f"{op}/messages/{job['id']}.json")).json()
        assert data["sent"]["type"] == "template" and data["sent"]["params"][0] == "Ana Souza"
        assert data["links"] == {
            "event": f"/events/{job['event_id']}",
            "appointment": "/appointments/apt-1",
            "conversation": "/conversations/5511987654321",
        }
        whats = [e["what"] for e in data["timeline"]]
        assert whats.count("operator") == 1 and whats.index("operator") < len(whats) - 1
        retry = next(e for e in data["timeline"] if e["what"] == "operator")
        assert retry["action"] == "retry" and retry["previous_state"] == "dead"
        page = (await client.get(f"{op}/messages/{job['id']}")).text
        assert "Operador pediu novo envio" in page and "desistida" in page
        assert "Ana Souza" in page and "Conversa com o cliente" in page
        for link in data["links"].values():
            assert (await client.get(f"{op}{link}")).status_code == 200, link
        gone = (await client.get(f"{op}/messages/{reminder['id']}.json")).json()["timeline"]
        assert [e["what"] for e in gone][-2:] == ["operator", "canceled"]
        gone_page = (await client.get(f"{op}/messages/{reminder['id']}")).text
        assert "Operador descartou" in gone_page and "Cancelada" in gone_page
        assert "<code>" not in gone_page


async def test_the_messages_csv_is_the_filtered_list_in_words(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await two_clients(daemon, client)
        op = daemon.listeners["operator"].url
        rows = rows_of(await client.get(f"{op}/messages.csv"))
        assert rows[0][:5] == ["id", "cliente", "telefone", "tipo", "estado"]
        assert len(rows) == 1 + 4
        names = {r[1] for r in rows[1:]}
        # A formula in a client's name is text in the spreadsheet, not a formula.
        assert names == {"Ana Souza", '\'=HYPERLINK("http://x")'}
        assert {r[4] for r in rows[1:]} <= {"na fila", "enviada", "enviando", "entregue"}
        assert all(LOCAL_TIME.fullmatch(r[5]) for r in rows[1:])
        ana = rows_of(await client.get(f"{op}/messages.csv", params={"phone": "(11) 98765-4321"}))
        assert {r[1] for r in ana[1:]} == {"Ana Souza"} and {r[2] for r in ana[1:]} == {
            "(11) 98765-4321"
        }
        answer = await client.get(f"{op}/messages.csv")
        assert answer.headers["content-disposition"] == 'attachment; filename="messages.csv"'


async def test_the_report_and_dlq_csvs(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        op = daemon.listeners["operator"].url
        report = (await client.get(f"{op}/report/daily.json")).json()
        rows = rows_of(await client.get(f"{op}/report.csv", params={"date": report["date"]}))
        assert rows[0] == ["Seção", "Item", "Quantidade"]
        table = {(r[0], r[1]): int(r[2]) for r in rows[1:]}
        assert table[("eventos", "total")] == report["events"]["total"] == 1
        assert table[("mensagens", "enviada")] == report["messages"]["sent"]
        assert table[("mensagens", "na fila")] == report["messages"]["queued"]
        far = await client.get(f"{op}/report.csv", params={"date": "2101-01-01"})
        assert far.status_code == 422 and far.json()["field"] == "date"
        dlq = rows_of(await client.get(f"{op}/dlq.csv"))
        assert dlq[0][0] == "id" and len(dlq) == 1
        page = (await client.get(f"{op}/report/daily", params={"date": report["date"]})).text
        assert 'type="date"' in page and "Mensagens do dia" in page
        # The day's bars are uPlot's, from the JSON island (tests/browser draws them).
        assert 'id="report-chart-data"' in page and '<script src="/static/chart.js"' in page
        # The day's messages by state are listed once, in the chart's table (a second table
        # below repeated them word for word, under a bare "Mensagens").
        for state in ("enviada", "na fila"):
            assert page.count(f">{state}</th>") == 1, state


async def test_an_export_crosses_its_batches_without_losing_or_repeating_rows(
    daemon_dir: Path,
) -> None:
    async with stack(daemon_dir) as (daemon, _double, client):
        await two_clients(daemon, client)
        await book(daemon, client, "apt-3")
        op = daemon.listeners["operator"].url
        listed = [m["id"] for m in (await client.get(f"{op}/messages.json")).json()["items"]]
        assert len(listed) == 6
        f = MessageFilters(
            state=None,
            kind=None,
            day=None,
            phone=None,
            before=None,
            limit=0,
            form=FormValues(state="", kind="", date="", phone=""),
        )
        for batch in (1, 2, 4, 5, 6, 7):
            chunks = [chunk async for chunk in message_lines(daemon, f, batch=batch)]
            assert [r[0] for r in csv.reader(io.StringIO("".join(chunks[1:])))] == listed, batch
            # A page of rows is one chunk of the answer, not a chunk per row (a 10,000-row
            # export spent most of its time sending 10,000 chunks).
            assert len(chunks) == 1 + -(-len(listed) // batch), batch
            # The bound holds whatever the batch: the newest rows, never more.
            bounded = [chunk async for chunk in message_lines(daemon, f, batch=batch, most=4)]
            assert [r[0] for r in csv.reader(io.StringIO("".join(bounded[1:])))] == listed[:4]


@given(st.text(max_size=30))
def test_no_cell_starts_a_formula(text: str) -> None:
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell.removeprefix("'") == text or cell == text
