"""scripts/screenshots fills its demo studio through the real APIs (issue 15, item 9): this
runs that filling part, without a browser, and checks the demo holds what the pictures are
meant to show, and that every page the script photographs answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import trio

from recado.testing.screenshots import EMPTY_PAGES, demo_pages, demo_studio


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


async def test_the_demo_studio_holds_every_kind_of_row_the_screenshots_show(
    tmp_path: Path,
) -> None:
    with trio.fail_after(180):
        async with demo_studio(tmp_path / "demo") as demo, httpx.AsyncClient() as client:
            db = demo.db
            # Bookings through the events API, statuses from Meta as signed webhooks.
            assert _count(db, "SELECT COUNT(*) FROM appointments") >= 20
            assert _count(db, "SELECT COUNT(*) FROM messages WHERE state = 'read'") > 5
            assert _count(db, "SELECT COUNT(*) FROM webhook_inbox WHERE signature_ok = 1") > 20
            assert _count(db, "SELECT COUNT(*) FROM inbound_messages WHERE type = 'button'") > 0
            op = demo.operator_url
            dlq = (await client.get(f"{op}/dlq.json")).json()
            assert dlq["total"] >= 1
            breakers = (await client.get(f"{op}/circuit-breakers.json")).json()["breakers"]
            assert breakers["agenda"]["state"] == "open"
            assert breakers["crm"]["state"] == "closed"
            sync = (await client.get(f"{op}/sync.json")).json()["jobs"]["clients"]
            assert sync["last_status"] == "done" and sync["failures"], sync
            assert (await client.get(f"{op}/alerts.json")).json()["items"]
            assert (await client.get(f"{op}/backups.json")).json()["backups"]
            pages = demo_pages(demo)
            assert len({stem for stem, _ in pages}) == len(pages)
            for stem, url in pages:
                answer = await client.get(url, headers={"Accept": "text/html"})
                expected = 404 if stem in ("erro-404", "comprovante-link-invalido") else 200
                assert answer.status_code == expected, (url, answer.text[:300])
                assert answer.headers["content-type"].startswith("text/html"), url
    assert {op + path for _, path in EMPTY_PAGES} <= {url for _, url in pages}
