"""Template webhooks applied to the stored templates, on a real SQLite file: whatever order
bodies are replayed in, the stored status is the one the newest body (or a sync after it)
says, and events that name no status leave it as it is."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recado.storage.actor import connect_writer
from recado.storage.inbox import insert_inbox
from recado.storage.migrate import migrate
from recado.storage.templates import BACK_TO_APPROVED, STATUS_EVENTS, all_templates, record_sync
from recado.storage.webhook_apply import apply_body
from recado.testing import webhook_bodies as wb
from recado.whatsapp.template_api import Fetched
from recado.whatsapp.template_defs import MetaTemplate

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EVENTS = sorted(STATUS_EVENTS | BACK_TO_APPROVED | {"FLAGGED", "LOCKED", "SOMETHING_NEW"})


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = connect_writer(tmp_path / "recado.db")
    migrate(c)
    yield c
    c.close()


def _receive(conn: sqlite3.Connection, event: str, at: datetime) -> int:
    raw = wb.encode(wb.envelope([wb.template_status(event)]))
    conn.execute("BEGIN IMMEDIATE")
    inbox_id = insert_inbox(conn, at, raw, True, "message_template_status_update", "127.0.0.1")
    apply_body(conn, inbox_id, raw, at)
    conn.execute("COMMIT")
    return inbox_id


def _replay(conn: sqlite3.Connection, inbox_id: int, at: datetime) -> None:
    (raw,) = conn.execute("SELECT body FROM webhook_inbox WHERE id = ?", (inbox_id,)).fetchone()
    conn.execute("BEGIN IMMEDIATE")
    apply_body(conn, inbox_id, raw, at)
    conn.execute("COMMIT")


def _status(conn: sqlite3.Connection) -> str | None:
    found = [t.status for t in all_templates(conn) if t.name == "aviso_de_agendamento"]
    return found[0] if found else None


def _expected(events: list[str], before: str | None) -> str | None:
    status = before
    for event in events:
        if event in BACK_TO_APPROVED:
            status = "APPROVED"
        elif event in STATUS_EVENTS:
            status = event
    return status


def _sync(conn: sqlite3.Connection, at: datetime, status: str) -> None:
    template = MetaTemplate(
        template_id="1",
        name="aviso_de_agendamento",
        language="pt_BR",
        status=status,
        category="UTILITY",
        quality="GREEN",
        parameter_format="POSITIONAL",
        body_params=("1",),
        header_format=None,
        header_params=0,
        buttons=(),
        components_json="[]",
    )
    conn.execute("BEGIN IMMEDIATE")
    record_sync(conn, "hourly", wb.WABA_ID, at, at, Fetched([template]))
    conn.execute("COMMIT")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(st.sampled_from(EVENTS), min_size=1, max_size=8),
    replays=st.lists(st.integers(0, 7), max_size=10),
    synced_first=st.booleans(),
)
def test_the_newest_body_wins_whatever_is_replayed(
    conn: sqlite3.Connection, events: list[str], replays: list[int], synced_first: bool
) -> None:
    conn.execute("DELETE FROM wa_templates")
    conn.execute("DELETE FROM wa_template_syncs")
    if synced_first:
        _sync(conn, T0, "APPROVED")
    ids = [_receive(conn, e, T0 + timedelta(seconds=i + 1)) for i, e in enumerate(events)]
    expected = _expected(events, "APPROVED" if synced_first else None)
    assert _status(conn) == expected
    later = T0 + timedelta(hours=1)
    for n in replays:
        _replay(conn, ids[n % len(ids)], later)
        assert _status(conn) == expected

    # A sync after them all is newer than any: its status stands, replays or not.
    _sync(conn, later, "DISABLED")
    for inbox_id in ids:
        _replay(conn, inbox_id, later + timedelta(minutes=1))
    assert _status(conn) == "DISABLED"
