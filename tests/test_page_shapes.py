"""Every operator page's JSON is exactly its typed data: decoded into the page's Struct and
encoded again it is the same document, so no key travels outside the types (the JSON shapes
of docs/reference.md §9 are the Structs of the page modules)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import msgspec

from recado.http.alert_pages import AlertsPage
from recado.http.audit_pages import AuditPage
from recado.http.breaker_pages import BreakersPage
from recado.http.dashboard import Dashboard
from recado.http.dlq_pages import DlqPage
from recado.http.message_pages import MessagePage, MessagesPage
from recado.http.report_pages import DailyReport
from recado.http.sync_pages import SyncPage
from recado.http.webhook_pages import ConversationPage, WebhooksPage
from recado.storage.appointments import AppointmentDetail
from recado.storage.delivery_queries import DeliveryDetail, EventWithDeliveries
from recado.testing import webhook_bodies as wb
from tests.hub_helpers import hub_stack
from tests.test_sender import PHONE, book, notice, notice_reaches, stack
from tests.test_sync import SYNC, paged_source
from tests.webhook_helpers import deliver


async def same_shape(client: httpx.AsyncClient, url: str, page: type[Any]) -> Any:
    answer = await client.get(url, headers={"Accept": "application/json"})
    assert answer.status_code == 200, (url, answer.text)
    body = answer.json()
    assert msgspec.to_builtins(msgspec.convert(body, page)) == body, url
    return body


async def test_message_side_pages_are_their_types(daemon_dir: Path) -> None:
    async with stack(daemon_dir) as (daemon, double, client):
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
        job = notice(daemon)
        await double.emit_statuses(job["wamid"], ["delivered", "sent"], PHONE)
        now = int(time.time())
        await deliver(daemon, client, wb.inbound_text("Oi", wa_id=PHONE.lstrip("+"), ts=now))
        await daemon.commands.webhooks.drain()
        headers = {"X-API-Key": daemon.api_key}
        op = daemon.listeners["operator"].url
        await client.post(f"{op}/whatsapp/kill-switch", json={"on": False}, headers=headers)
        wa_id = PHONE.lstrip("+")
        pages: list[tuple[str, type[Any]]] = [
            ("/dashboard.json", Dashboard),
            ("/alerts.json?all=1", AlertsPage),
            ("/audit.json", AuditPage),
            ("/webhooks.json", WebhooksPage),
            (f"/conversations/{wa_id}.json", ConversationPage),
            ("/conversations/5511000000000.json", ConversationPage),
            ("/messages.json", MessagesPage),
            (f"/messages/{job['id']}.json", MessagePage),
            ("/appointments/apt-1.json", AppointmentDetail),
            ("/report/daily.json", DailyReport),
        ]
        bodies = {url: await same_shape(client, op + url, page) for url, page in pages}
        timeline = bodies[f"/messages/{job['id']}.json"]["timeline"]
        assert {e["what"] for e in timeline} == {"queued", "attempt", "status"}
        assert bodies[f"/conversations/{wa_id}.json"]["window"]["open"] is True
        assert bodies["/audit.json"]["items"][0]["action"] == "whatsapp.kill_switch"


async def test_hub_pages_are_their_types(daemon_dir: Path) -> None:
    flows = '[[flows]]\nevent = "payment.received"\nactions = ["http:ops:POST:/payments"]\n'
    async with hub_stack(daemon_dir, extra=SYNC + flows, doubles=paged_source()) as hub:
        hub.services["ops"].fail(422)
        await hub.event("pay_1", "payment.received")
        await hub.until("SELECT state FROM deliveries", [{"state": "dead"}])
        (dead,) = hub.deliveries()
        assert (await hub.post("/sync/crm_ops/run")).status_code == 202
        await hub.until("SELECT status FROM sync_runs", [{"status": "done"}])
        op = hub.operator
        pages: list[tuple[str, type[Any]]] = [
            ("/dlq.json", DlqPage),
            (f"/dlq/{dead['id']}.json", DeliveryDetail),
            ("/events/pay_1.json", EventWithDeliveries),
            ("/circuit-breakers.json", BreakersPage),
            ("/sync.json", SyncPage),
            ("/dashboard.json", Dashboard),
            ("/report/daily.json", DailyReport),
        ]
        bodies = {url: await same_shape(hub.client, op + url, page) for url, page in pages}
        assert bodies["/dlq.json"]["total"] == 1
        job = bodies["/sync.json"]["jobs"]["crm_ops"]
        assert job["runs"] and job["failures"]  # the refused items were set aside
