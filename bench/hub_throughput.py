"""Events accepted per second and deliveries completed per second by the integration hub.

In one run, against the same local sink (a service double in this process):
  (a) baseline: a bare httpx loop, 16 in flight, posting event envelopes to the sink
  (b) recado: events posted to /api/v1/events (32 in flight), each fanning out to three
      destinations (three services on the sink); events/s until the last 202, and
      deliveries/s until the last delivery is committed as done, and the delivery rate
      after the last event was accepted (the worker alone, no intake beside it)
and the daemon's peak RSS (VmHWM), and the ratio of (b) deliveries/s to (a).

Usage: .venv/bin/python bench/hub_throughput.py [--events 2000]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.service_double import ServiceDouble

IN_FLIGHT = 16
POSTERS = 32
DESTINATIONS = ("crm", "ops", "finance")


def _event(i: int) -> dict:
    return {
        "id": f"evt-{i:06d}",
        "type": "lead.created",
        "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {"id": f"lead-{i}", "name": "Ana Souza", "phone": "+5511987654321"},
    }


async def baseline(sink: ServiceDouble, n: int) -> float:
    clients = [
        httpx.AsyncClient(base_url=sink.url, limits=httpx.Limits(max_connections=1))
        for _ in range(IN_FLIGHT)
    ]

    # One request per client at a time: each worker keeps to its own client.
    pending = iter(range(n))
    started = time.perf_counter()

    async def worker(w: int) -> None:
        for i in pending:
            response = await clients[w].post(
                "/leads", json=_event(i), headers={"Idempotency-Key": str(i)}
            )
            assert response.status_code == 201

    async with trio.open_nursery() as nursery:
        for w in range(IN_FLIGHT):
            nursery.start_soon(worker, w)
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return n / elapsed


def _done(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'done'").fetchone()[0]
        )


async def through_daemon(
    sink: ServiceDouble, workdir: Path, n: int
) -> tuple[float, float, float, float]:
    services = "".join(
        f'[[services]]\nname = "{name}"\nbase_url = "{sink.url}"\n' for name in DESTINATIONS
    )
    actions = ", ".join(f'"http:{name}:POST:/{name}"' for name in DESTINATIONS)
    flows = f'[[flows]]\nevent = "lead.created"\nactions = [{actions}]\n'
    config = write_config(workdir, services + flows)
    daemon = DaemonProcess(config, test_hooks=False)
    await trio.to_thread.run_sync(daemon.start)
    try:
        key = (daemon.data_dir / "api_key").read_text().strip()
        clients = [
            httpx.AsyncClient(
                base_url=daemon.public_url,
                headers={"X-API-Key": key},
                limits=httpx.Limits(max_connections=1),
                timeout=60,
            )
            for _ in range(POSTERS)
        ]
        pending = iter(range(n))
        started = time.perf_counter()

        async def poster(w: int) -> None:
            for i in pending:
                response = await clients[w].post("/api/v1/events", json=_event(i))
                assert response.status_code == 202, response.text

        async with trio.open_nursery() as nursery:
            for w in range(POSTERS):
                nursery.start_soon(poster, w)
        accepted_s = time.perf_counter() - started
        db = daemon.data_dir / "recado.db"
        done_at_accept = await trio.to_thread.run_sync(_done, db)
        with trio.fail_after(600):
            while await trio.to_thread.run_sync(_done, db) < n * len(DESTINATIONS):  # noqa: ASYNC110
                await trio.sleep(0.02)
        delivered_s = time.perf_counter() - started
        drain = (n * len(DESTINATIONS) - done_at_accept) / max(delivered_s - accepted_s, 1e-9)
        for client in clients:
            await client.aclose()
        return (
            n / accepted_s,
            n * len(DESTINATIONS) / delivered_s,
            drain,
            daemon.peak_rss_mib(),
        )
    finally:
        daemon.terminate(timeout_s=60)


async def main_async(args: argparse.Namespace) -> None:
    sink = ServiceDouble("sink")
    workdir = Path(tempfile.mkdtemp(prefix="recado-hub-bench-"))
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(sink.serve)
            a = await baseline(sink, args.events * len(DESTINATIONS))
            events, deliveries, drain, rss = await through_daemon(sink, workdir, args.events)
            nursery.cancel_scope.cancel()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"(a) bare httpx loop to the sink, {IN_FLIGHT} in flight: {a:8.0f} req/s")
    print(f"(b) recado, events accepted ({POSTERS} in flight):  {events:8.0f} events/s")
    print(
        f"    recado, deliveries completed (3 per event):  {deliveries:8.0f} deliveries/s   "
        f"peak RSS {rss:.0f} MiB"
    )
    print(f"    recado, deliveries after the last event (no intake): {drain:8.0f} deliveries/s")
    print(f"deliveries/s ÷ baseline = {deliveries / a:.2f}   drain ÷ baseline = {drain / a:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    trio.run(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
