"""rules/message_identity and storage/message_queue: one id rule and one recipient rule for
every message queued, ids unchanged from the ones earlier versions stored (so a message
planned again after an upgrade is found, not queued twice), and a message queued once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.rules.appointment_jobs import job_id
from recado.rules.kinds import BUTTON_REPLY, MESSAGE_KINDS
from recado.rules.message_identity import Recipient, message_id, recipient
from recado.storage.actor import connect_writer
from recado.storage.message_queue import NewMessage, queue_message
from recado.storage.migrate import migrate

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _old(text: str) -> str:
    return "job_" + hashlib.sha256(text.encode()).hexdigest()[:24]


@given(
    hs.sampled_from(MESSAGE_KINDS),
    hs.text(min_size=1, max_size=40),
    hs.datetimes(timezones=hs.just(UTC)),
)
def test_appointment_job_ids_are_the_ones_stored_before(
    kind: str, appointment_id: str, starts: datetime
) -> None:
    assert job_id(kind, appointment_id, starts) == _old(
        f"{kind}|{appointment_id}|{starts.isoformat()}"
    )


@given(hs.text(min_size=1, max_size=80))
def test_button_reply_ids_are_the_ones_stored_before(wamid: str) -> None:
    assert message_id(BUTTON_REPLY, wamid) == _old(f"button_reply|{wamid}")


def test_ids_tell_their_keys_apart() -> None:
    assert message_id("k", "a", "b") != message_id("k", "b", "a")
    assert message_id("k", "a") != message_id("j", "a")


@pytest.mark.parametrize(
    ("known", "expected"),
    [
        ({"phone": "+5511987654321"}, Recipient("5511987654321", "+5511987654321")),
        ({"wa_id": "5511987654321"}, Recipient("5511987654321", "+5511987654321")),
        # A phone known beside the id it wrote from: the phone is who is addressed.
        (
            {"phone": "+5511987654321", "wa_id": "551187654321"},
            Recipient("5511987654321", "+5511987654321"),
        ),
    ],
)
def test_the_recipient_from_what_is_known(known: dict[str, str], expected: Recipient) -> None:
    assert recipient(**known) == expected


def test_no_recipient_is_refused() -> None:
    with pytest.raises(ValueError):
        recipient()


def test_a_message_planned_twice_is_queued_once(tmp_path: Path) -> None:
    conn = connect_writer(tmp_path / "q.db")
    migrate(conn)
    m = NewMessage(
        message_id(BUTTON_REPLY, "wamid.1"),
        BUTTON_REPLY,
        NOW + timedelta(minutes=1),
        wa_id="5511987654321",
        text_body="Oi",
        inbound_wamid="wamid.1",
    )
    assert queue_message(conn, m, NOW) is True
    assert queue_message(conn, m, NOW) is False
    rows = conn.execute(
        "SELECT id, kind, state, wa_id, to_number, due_at, text_body FROM messages"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        (
            m.id,
            BUTTON_REPLY,
            "queued",
            "5511987654321",
            "+5511987654321",
            "2026-12-01T12:01:00.000Z",
            "Oi",
        ),
    ]
    conn.close()
