"""One poison sync item never blocks its job (issue 10): an item the target refuses for good
is set aside with its reason, the run goes on, the cursor moves; set-aside items are shown on
/sync and an operator can post one again with the same key. Transient failures still fail the
run with the cursor unchanged."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from recado.actors.sync_runner import item_key
from recado.testing.service_double import ServiceDouble
from tests.hub_helpers import Hub, hub_stack
from tests.process_helpers import cli
from tests.webhook_helpers import query

SYNC = """
[[sync]]
name = "crm_ops"
schedule = "0 3 * * *"
source = "crm:GET:/contracts?since={cursor}"
target = "ops:POST:/schedules"
"""
KEY = "sync:crm_ops:"


def _doubles(pages: dict[str, dict[str, Any]]) -> dict[str, ServiceDouble]:
    crm = ServiceDouble("crm")
    crm.pages = pages
    return {"crm": crm, "ops": ServiceDouble("ops")}


PAGES = {
    "": {"items": [{"id": "k1"}, {"id": "bad"}, {"id": "k2"}], "next_cursor": "c1"},
    "c1": {"items": [{"id": "k3"}], "next_cursor": "c2"},
    "c2": {"items": [], "next_cursor": None},
}


async def _run(hub: Hub, status: str = "done", n: int = 1) -> dict[str, Any]:
    assert (await hub.post("/sync/crm_ops/run")).status_code == 202
    await hub.until(f"SELECT COUNT(*) AS n FROM sync_runs WHERE status = '{status}'", [{"n": n}])
    return query(hub.daemon, "SELECT * FROM sync_runs ORDER BY id DESC LIMIT 1")[0]


async def test_a_refused_item_is_set_aside_and_the_cursor_moves(daemon_dir: Path) -> None:
    doubles = _doubles(PAGES)
    doubles["ops"].refuse[KEY + "bad"] = 422
    async with hub_stack(daemon_dir, extra=SYNC, doubles=doubles) as hub:
        run = await _run(hub)
        assert (run["items_read"], run["items_written"], run["items_set_aside"]) == (4, 3, 1)
        assert run["cursor_after"] == "c2" and run["error"] is None
        assert query(hub.daemon, "SELECT cursor FROM sync_state") == [{"cursor": "c2"}]
        assert doubles["ops"].keys() == [KEY + k for k in ("k1", "bad", "k2", "k3")]

        job = (await hub.get("/sync"))["jobs"]["crm_ops"]
        assert job["last_status"] == "done" and job["items_set_aside"] == 1
        (failure,) = job["failures"]
        assert failure["item_key"] == "bad" and failure["item_json"] == '{"id": "bad"}'
        assert failure["reason_code"] == "refused" and failure["status_code"] == 422
        assert failure["reason"].startswith("O serviço recusou o pedido (HTTP 422)")
        assert failure["run_id"] == run["id"] and failure["attempts"] == 1
        page = (await hub.client.get(f"{hub.operator}/sync")).text
        assert "Itens recusados" in page and f"/sync/crm_ops/failures/{failure['id']}/retry" in page

        # Still refused: the outcome is recorded, the item stays set aside.
        again = await hub.post(f"/sync/crm_ops/failures/{failure['id']}/retry")
        assert again.status_code == 200, again.text
        assert again.json()["outcome"] == "refused" and again.json()["status"] == 422
        job = (await hub.get("/sync"))["jobs"]["crm_ops"]
        assert job["failures"][0]["attempts"] == 2

        # Fixed at the target: delivered with the same key, and no longer listed.
        del doubles["ops"].refuse[KEY + "bad"]
        done = await hub.post(f"/sync/crm_ops/failures/{failure['id']}/retry")
        assert done.json() == {
            "message": "Item delivered",
            "job": "crm_ops",
            "failure_id": failure["id"],
            "outcome": "resolved",
            "status": 201,
            "reason": None,
        }
        assert doubles["ops"].keys()[-1] == KEY + "bad"
        assert (await hub.get("/sync"))["jobs"]["crm_ops"]["failures"] == []
        assert (await hub.post(f"/sync/crm_ops/failures/{failure['id']}/retry")).status_code == 409
        audit = query(
            hub.daemon,
            "SELECT target, json_extract(detail_json, '$.outcome') AS outcome FROM audit_log "
            "WHERE action = 'sync.retry_item' ORDER BY id",
        )
        target = f"crm_ops/{failure['id']}"
        assert audit == [
            {"target": target, "outcome": "refused"},
            {"target": target, "outcome": "resolved"},
        ]
        for path in ("/sync/crm_ops/failures/999/retry", "/sync/nope/failures/1/retry",
                     f"/sync/crm_ops/failures/{2**64}/retry"):  # fmt: skip
            assert (await hub.post(path)).status_code == 404, path
        unauthorized = await hub.client.post(
            f"{hub.operator}/sync/crm_ops/failures/{failure['id']}/retry"
        )
        assert unauthorized.status_code == 401


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 422])
async def test_every_permanent_refusal_sets_the_item_aside(daemon_dir: Path, status: int) -> None:
    doubles = _doubles(PAGES)
    doubles["ops"].refuse[KEY + "bad"] = status
    async with hub_stack(daemon_dir, extra=SYNC, doubles=doubles) as hub:
        run = await _run(hub)
        assert (run["items_written"], run["items_set_aside"], run["cursor_after"]) == (3, 1, "c2")


@pytest.mark.parametrize("status", [500, 502, 503, 408, 409, 425, 429])
async def test_a_transient_failure_still_fails_the_run(daemon_dir: Path, status: int) -> None:
    doubles = _doubles(PAGES)
    doubles["ops"].refuse[KEY + "bad"] = status
    async with hub_stack(daemon_dir, extra=SYNC, doubles=doubles) as hub:
        run = await _run(hub, "failed")
        assert run["cursor_after"] == "" and f"HTTP {status}" in run["error"]
        assert query(hub.daemon, "SELECT cursor FROM sync_state") == [{"cursor": ""}]
        assert query(hub.daemon, "SELECT id FROM sync_failures") == []


async def test_items_that_could_not_be_posted_at_all_now_go(daemon_dir: Path) -> None:
    """An id that cannot travel in a header (non-ASCII, a newline) made every run of the job
    fail, so the cursor never moved."""
    pages = {
        "": {
            "items": [{"id": "João-7"}, {"id": "a\nb"}, {"id": "k1", "note": "ção"}],
            "next_cursor": "c1",
        },
        "c1": {"items": [], "next_cursor": None},
    }
    doubles = _doubles(pages)
    async with hub_stack(daemon_dir, extra=SYNC, doubles=doubles) as hub:
        run = await _run(hub)
        assert (run["items_written"], run["items_set_aside"], run["cursor_after"]) == (3, 0, "c1")
        keys = doubles["ops"].keys()
        assert keys[0].startswith(KEY + "id-") and keys[1].startswith(KEY + "id-")
        assert keys[0] != keys[1] and keys[2] == KEY + "k1"
        assert doubles["ops"].received()[2].body == {"id": "k1", "note": "ção"}


@given(st.text(max_size=300) | st.integers())
def test_every_item_key_can_travel_in_a_header(own_id: str | int) -> None:
    key = item_key({"id": own_id, "x": 1})
    assert key == item_key({"id": own_id, "y": 2})  # the id, not the content
    assert 1 <= len(key) <= 200 and all(0x21 <= ord(c) <= 0x7E for c in key)
    httpx.Request("POST", "http://x/", headers={"Idempotency-Key": f"sync:j:{key}"})


async def test_the_cli_lists_and_retries_set_aside_items(daemon_dir: Path) -> None:
    doubles = _doubles(PAGES)
    doubles["ops"].refuse[KEY + "bad"] = 422
    async with hub_stack(daemon_dir, extra=SYNC, doubles=doubles) as hub:
        await _run(hub)
        config = hub.daemon.config_path

        async def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
            return await trio.to_thread.run_sync(lambda: cli(config, "sync", *args))

        listed = await run_cli("failures", "crm_ops")
        assert listed.returncode == 0, listed.stderr
        assert "bad" in listed.stdout and "HTTP 422" in listed.stdout
        assert listed.stdout.strip().endswith("1 item(s) set aside")
        failure_id = listed.stdout.split()[0]
        del doubles["ops"].refuse[KEY + "bad"]
        retried = await run_cli("retry-item", "crm_ops", failure_id)
        assert retried.returncode == 0 and "Item delivered" in retried.stdout, retried.stderr
        assert (await run_cli("failures", "crm_ops")).stdout.strip() == "0 item(s) set aside"
        unknown = await run_cli("failures", "nope")
        assert unknown.returncode == 1 and 'no sync job "nope"' in unknown.stderr
