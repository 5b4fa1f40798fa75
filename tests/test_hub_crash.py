"""kill -9 while events fan out: seen from the destinations, every accepted event arrives
at every destination at least once, and every repeat carries the same Idempotency-Key."""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.service_double import ServiceDouble
from tests.crash_driver import post_until_killed

RUNS = 10
EVENTS = 1000
SERVICES = ("crm", "ops", "finance")
ACTIONS = {
    "crm": "http:crm:POST:/leads",
    "ops": "http:ops:POST:/clients",
    "finance": "http:finance:POST:/accounts",
}


def _config(directory: Path, doubles: dict[str, ServiceDouble]) -> Path:
    services = "".join(
        f'[[services]]\nname = "{n}"\nbase_url = "{d.url}"\n' for n, d in doubles.items()
    )
    flows = f'[[flows]]\nevent = "lead.created"\nactions = {list(ACTIONS.values())!r}\n'
    return write_config(directory, services + flows.replace("'", '"'))


def _event(i: int) -> dict[str, Any]:
    return {
        "id": f"evt_{i:04d}",
        "type": "lead.created",
        "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {"id": f"lead_{i}", "name": f"Cliente {i}"},
    }


async def test_every_event_reaches_every_destination_across_kills(tmp_path: Path) -> None:
    rng = random.Random(2611)
    doubles = {name: ServiceDouble(name) for name in SERVICES}
    bodies = {i: _event(i) for i in range(EVENTS)}  # a retried post must be the same body
    accepted: set[str] = set()
    async with trio.open_nursery() as nursery:
        for double in doubles.values():
            await nursery.start(double.serve)
        config = _config(tmp_path, doubles)
        for run in range(RUNS):
            daemon = DaemonProcess(config, test_hooks=False)
            await trio.to_thread.run_sync(daemon.start)
            key = (daemon.data_dir / "api_key").read_text().strip()
            # The studio's system resends whatever was never acknowledged.
            pending = [i for i in range(EVENTS) if bodies[i]["id"] not in accepted]
            share = pending[: max(len(pending) // (RUNS - run), 1) + 40]

            def build(n: int, todo: list[int] = share, k: str = key) -> tuple[str, str, dict]:
                body = bodies[todo[n]]
                return body["id"], "/api/v1/events", {"json": body, "headers": {"X-API-Key": k}}

            accepted |= await post_until_killed(
                daemon,
                daemon.public_url,
                build,
                total=len(share),
                concurrency=16,
                kill_after=rng.randrange(len(share) // 3, len(share)),
                acked_statuses=(200, 202),
            )

        # A last clean start: the rest is sent, and every delivery finishes.
        daemon = DaemonProcess(config, test_hooks=False)
        await trio.to_thread.run_sync(daemon.start)
        key = (daemon.data_dir / "api_key").read_text().strip()
        async with httpx.AsyncClient(base_url=daemon.public_url, timeout=30) as client:
            for i in range(EVENTS):
                if bodies[i]["id"] not in accepted:
                    r = await client.post(
                        "/api/v1/events", json=bodies[i], headers={"X-API-Key": key}
                    )
                    assert r.status_code in (200, 202), r.text
                    accepted.add(bodies[i]["id"])
        db = daemon.data_dir / "recado.db"
        with trio.fail_after(120):
            while _open_deliveries(db):  # noqa: ASYNC110 (polling another process's database)
                await trio.sleep(0.2)
        with sqlite3.connect(db) as conn:
            states = dict(conn.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state"))
            events = {r[0] for r in conn.execute("SELECT id FROM events")}
        assert daemon.terminate() == 0
        nursery.cancel_scope.cancel()

    assert len(accepted) == EVENTS and events == accepted
    assert states == {"done": EVENTS * len(SERVICES)}
    repeats = 0
    for name, double in doubles.items():
        keys: dict[str, set[str]] = defaultdict(set)
        for request in double.received():
            keys[request.body["id"]].add(request.key or "")
        assert set(keys) == accepted, f"{name} missed {len(accepted - set(keys))} events"
        for event_id, seen in keys.items():
            assert seen == {f"{event_id}:{ACTIONS[name]}"}, (name, event_id, seen)
        repeats += len(double.received()) - len(keys)
    print(f"{EVENTS} events x {len(SERVICES)} destinations, {repeats} repeats, all keyed alike")


def _open_deliveries(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'retrying')"
            ).fetchone()[0]
        )
