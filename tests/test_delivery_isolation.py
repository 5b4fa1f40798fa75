"""One bad delivery never stops the delivery worker (issue 10): a delivery whose processing
raises dies with an internal-error reason, visible and retryable in the DLQ, while the others
are delivered; a ``whatsapp:<template>`` action whose free-form data carries a start outside
the sane range dies naming ``data.starts_at`` instead of reaching the sender."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recado.clock import iso
from tests.hub_helpers import hub_stack

FLOWS = """
[[flows]]
event = "lead.created"
actions = ["http:crm:POST:/leads"]
[[flows]]
event = "client.registered"
actions = ["whatsapp:appointment_created"]
"""


def _stored_event(db: Path, event_id: str, data_json: str) -> None:
    """An event and its delivery as stored by an older recado (or a bug): the data is not
    what the worker can read."""
    now = iso(datetime.now(UTC))
    with sqlite3.connect(db, isolation_level=None) as conn:
        conn.execute(
            "INSERT INTO events(id, type, occurred_at, data_json, body_sha256, received_at) "
            "VALUES (?, 'lead.created', ?, ?, 'x', ?)",
            (event_id, now, data_json, now),
        )
        conn.execute(
            "INSERT INTO deliveries(event_id, action, service, state, next_attempt_at, "
            "created_at, updated_at) VALUES (?, 'http:crm:POST:/leads', 'crm', 'pending', ?, "
            "?, ?)",
            (event_id, now, now, now),
        )


async def test_a_delivery_that_raises_dies_alone_and_is_retryable(daemon_dir: Path) -> None:
    async with hub_stack(daemon_dir, ("crm",), FLOWS) as hub:
        _stored_event(hub.daemon.storage.path, "evt_poison", "{not json")
        await hub.event("evt_ok_1", name="Ana")
        await hub.event("evt_ok_2", name="Bia")
        await hub.until(
            "SELECT event_id, state FROM deliveries ORDER BY event_id",
            [
                {"event_id": "evt_ok_1", "state": "done"},
                {"event_id": "evt_ok_2", "state": "done"},
                {"event_id": "evt_poison", "state": "dead"},
            ],
        )
        (item,) = (await hub.get("/dlq"))["items"]
        assert item["event_id"] == "evt_poison"
        assert item["reason"].startswith(
            "Erro interno ao processar a entrega (JSONDecodeError: Expecting property name"
        )
        detail = await hub.get(f"/dlq/{item['id']}.json")
        assert [a["outcome"] for a in detail["history"]] == ["internal_error"]
        assert [r.key for r in hub.services["crm"].received()] == [
            "evt_ok_1:http:crm:POST:/leads",
            "evt_ok_2:http:crm:POST:/leads",
        ]
        # Fixed, then retried from the DLQ: delivered.
        with sqlite3.connect(hub.daemon.storage.path, isolation_level=None) as conn:
            conn.execute("UPDATE events SET data_json = '{}' WHERE id = 'evt_poison'")
        assert (await hub.post(f"/dlq/{item['id']}/retry")).status_code == 200
        await hub.until(
            "SELECT state FROM deliveries WHERE event_id = 'evt_poison'", [{"state": "done"}]
        )
        # (hub_stack() asserts on exit that no actor was restarted.)


@pytest.mark.parametrize(
    "starts_at",
    ["9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+00:00",
     "2100-01-01T00:00:00Z", "1999-12-31T23:59:59Z"],
)  # fmt: skip
async def test_a_start_out_of_range_dies_naming_the_field(daemon_dir: Path, starts_at: str) -> None:
    async with hub_stack(daemon_dir, ("crm",), FLOWS) as hub:
        client = {"name": "Bia", "phone": "11 98765-4321"}
        await hub.event("cli_bad", "client.registered", client=client, starts_at=starts_at)
        await hub.event(
            "cli_ok", "client.registered", client=client, starts_at="2026-11-24T14:30:00-03:00"
        )
        await hub.until(
            "SELECT event_id, state FROM deliveries ORDER BY event_id",
            [{"event_id": "cli_bad", "state": "dead"}, {"event_id": "cli_ok", "state": "done"}],
        )
        (item,) = (await hub.get("/dlq"))["items"]
        assert item["reason"].startswith(f"data.starts_at ({starts_at}) está fora do intervalo")
        # Nothing reached the sender for it; the healthy one went through (dry run).
        await hub.until(
            "SELECT event_id, state FROM messages", [{"event_id": "cli_ok", "state": "sent"}]
        )
