"""Messages per second from the sender to the Graph double, and how well the rate limit holds.

In one run, against the same Graph double (in this process):
  (a) baseline: a bare httpx loop, 16 in flight, posting the same template bodies
  (b) recado's sender with messages_per_second = 0 (unlimited): jobs are queued with the kill
      switch on, then released; timed until the double has them all
  (c) the same at messages_per_second = 80: achieved rate and its error
and the daemon's peak RSS (VmHWM), and b/a.

Usage: .venv/bin/python bench/send_throughput.py [--jobs 2000] [--limited-jobs 400]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble

TOKEN = "bench-token"
IN_FLIGHT = 8


def _body(i: int) -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": f"+55119{i:08d}",
        "type": "template",
        "biz_opaque_callback_data": f"job-{i}",
        "template": {
            "name": "aviso_de_agendamento",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": v}
                        for v in ("Ana", "Corte", "10/03/2031", "15:00", "Rua A")
                    ],
                }
            ],
        },
    }


async def baseline(double: GraphDouble, n: int) -> float:
    """The fastest plain httpx pattern measured here: one single-connection client per
    worker (a shared pool is slower under trio)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    pending = iter(range(n))
    clients = [
        httpx.AsyncClient(
            base_url=double.url, headers=headers, limits=httpx.Limits(max_connections=1)
        )
        for _ in range(IN_FLIGHT)
    ]
    started = time.perf_counter()

    async def worker(client: httpx.AsyncClient) -> None:
        for i in pending:
            response = await client.post("/v21.0/1/messages", json=_body(i))
            assert response.status_code == 200

    async with trio.open_nursery() as nursery:
        for client in clients:
            nursery.start_soon(worker, client)
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return n / elapsed


def _queue_jobs(daemon: DaemonProcess, n: int) -> None:
    key = (daemon.data_dir / "api_key").read_text().strip()
    with httpx.Client(base_url=daemon.public_url, headers={"X-API-Key": key}) as client:
        for i in range(n):
            response = client.post(
                "/api/v1/events",
                json={
                    "id": f"evt-{i}",
                    "type": "appointment.created",
                    "occurred_at": "2026-11-24T10:00:00-03:00",
                    "data": {
                        "appointment_id": f"apt-{i}",
                        "client": {"name": "Ana", "phone": f"+55119{i:08d}"},
                        "service": "Corte",
                        "starts_at": "2031-03-10T15:00:00-03:00",
                    },
                },
            )
            assert response.status_code == 202, response.text


async def through_daemon(
    double: GraphDouble, workdir: Path, n: int, mps: float
) -> tuple[float, float]:
    directory = workdir / f"mps-{mps:g}"
    directory.mkdir()
    (directory / "app_secret").write_text("bench-secret")
    (directory / "token").write_text(TOKEN)
    config = write_config(
        directory,
        (
            'app_secret_file = "app_secret"\naccess_token_file = "token"\n'
            f'phone_number_id = "1"\ngraph_base_url = "{double.url}"\n'
            f"messages_per_second = {mps}\nkill_switch = true\n"
        ),
        mode="enabled",
    )
    daemon = DaemonProcess(config, test_hooks=False)
    await trio.to_thread.run_sync(daemon.start)
    try:
        await trio.to_thread.run_sync(_queue_jobs, daemon, n)
        target = len(double.requests) + n
        key = (daemon.data_dir / "api_key").read_text().strip()
        config.write_text(config.read_text().replace("kill_switch = true", "kill_switch = false"))
        started = time.perf_counter()
        async with httpx.AsyncClient() as client:
            await client.post(f"{daemon.operator_url}/config/reload", headers={"X-API-Key": key})
        with trio.fail_after(600):
            await double.wait_for_requests(target)
        elapsed = time.perf_counter() - started
        return n / elapsed, daemon.peak_rss_mib()
    finally:
        daemon.terminate(timeout_s=60)


async def main_async(args: argparse.Namespace) -> None:
    double = GraphDouble(token=TOKEN)
    workdir = Path(tempfile.mkdtemp(prefix="recado-send-bench-"))
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(double.serve)
            a = await baseline(double, args.jobs)
            b, rss_b = await through_daemon(double, workdir, args.jobs, 0)
            c, rss_c = await through_daemon(double, workdir, args.limited_jobs, 80)
            nursery.cancel_scope.cancel()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"(a) bare httpx loop, {IN_FLIGHT} in flight:      {a:8.0f} msg/s")
    print(f"(b) recado sender, unlimited:            {b:8.0f} msg/s   peak RSS {rss_b:.0f} MiB")
    print(
        f"(c) recado sender, messages_per_second=80: {c:6.1f} msg/s   "
        f"error {abs(c - 80) / 80:.1%} (target within 5%)   peak RSS {rss_c:.0f} MiB"
    )
    print(f"b/a = {b / a:.2f}   (target: b >= 1000 msg/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--limited-jobs", type=int, default=400)
    trio.run(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
