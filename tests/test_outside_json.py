"""JSON from upstream peers (Graph's send answers, a sync source's pages) is measured before
it is decoded, like the JSON we are sent: too deep an answer is no answer, never a
RecursionError in the sender or the sync runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import h11
import trio

from recado.clock import TrioClock
from recado.services.sync_page import PAGE_DEPTH
from recado.testing.h11_server import serve_h11
from recado.testing.service_double import ServiceDouble
from recado.whatsapp.graph_client import GraphClient, Rejected, Unknown
from tests.hub_helpers import hub_stack
from tests.test_sync import RUNS, SYNC
from tests.webhook_helpers import query

# Deep enough for any decoder to recurse past the interpreter's limit.
DEEP = b'{"messages":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


async def _send_raw(conn: h11.Connection, stream: trio.SocketStream, status: int) -> None:
    headers = [("content-type", "application/json"), ("content-length", str(len(DEEP)))]
    await stream.send_all(conn.send(h11.Response(status_code=status, headers=headers)))
    await stream.send_all(conn.send(h11.Data(data=DEEP)))
    await stream.send_all(conn.send(h11.EndOfMessage()))


async def test_a_too_deep_graph_answer_is_no_answer() -> None:
    status = 200

    async def handle(
        conn: h11.Connection, stream: trio.SocketStream, request: h11.Request, body: bytes
    ) -> bool:
        await _send_raw(conn, stream, status)
        return True

    async with trio.open_nursery() as nursery:
        port, _ = await nursery.start(serve_h11, handle, "127.0.0.1", 0)
        graph = GraphClient(f"http://127.0.0.1:{port}", "v21.0", "1234", "token")
        # A 2xx without a readable message id may have been sent: never sent again blindly.
        accepted = await graph.send({"to": "5511987654321"})
        assert accepted == Unknown("bad_answer", "HTTP 200 without a message id")
        status = 400
        refused = await graph.send({"to": "5511987654321"})
        assert isinstance(refused, Rejected) and refused.answer is None
        await graph.aclose()
        nursery.cancel_scope.cancel()


@dataclass
class DeepSource(ServiceDouble):
    """A sync source whose pages nest far too deep."""

    async def _page(self, conn: h11.Connection, stream: trio.SocketStream, record: object) -> bool:
        await _send_raw(conn, stream, 200)
        return True


async def test_a_too_deep_sync_page_fails_the_run_saying_so(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    source = DeepSource("crm")
    source.pages = {"": {"items": [], "next_cursor": None}}
    doubles = {"crm": source, "ops": ServiceDouble("ops")}
    clock = TrioClock(datetime(2026, 11, 26, 12, 1, tzinfo=UTC))
    async with hub_stack(daemon_dir, extra=SYNC, clock=clock, doubles=doubles) as hub:
        assert (await hub.post("/sync/crm_ops/run")).status_code == 202
        await hub.until("SELECT status FROM sync_runs", [{"status": "failed"}])
        (run,) = (await hub.get("/sync"))["jobs"]["crm_ops"]["runs"]
        # Too deep to split into items (each item is held to 64 levels: test_sync_bounds).
        assert f"deeper than {PAGE_DEPTH} levels" in run["error"]
        assert [r["items_read"] for r in query(hub.daemon, RUNS)] == [0]
