"""Never twice: across kill -9 mid-send, hanging and dropped requests, no job reaches Meta twice.

The real daemon runs as a child process in ``enabled`` mode against the Graph double in this
process. Appointments are booked, the double hangs or drops some requests after reading them,
and the daemon is killed at a random moment while sends are in flight, 20 times over on the
same database. At the end, no job id was received twice by the double, and every job the
double never saw was still sent (or is waiting) after the restarts.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
import trio

from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble
from tests.webhook_helpers import write_secrets

RUNS = 20
BOOKINGS_PER_RUN = 15
TOKEN = "never-twice-token"


def _config(directory: Path, double: GraphDouble) -> Path:
    write_secrets(directory)
    (directory / "token").write_text(TOKEN)
    return write_config(
        directory,
        'app_secret_file = "app_secret"\naccess_token_file = "token"\n'
        f'phone_number_id = "106540352242922"\ngraph_base_url = "{double.url}"\n'
        "messages_per_second = 0\nretry_base_s = 0.05\nretry_cap_s = 0.2\n",
        mode="enabled",
    )


def _book(daemon: DaemonProcess, run: int, i: int) -> None:
    key = (daemon.data_dir / "api_key").read_text().strip()
    event = {
        "id": f"evt-{run}-{i}",
        "type": "appointment.created",
        "occurred_at": "2026-11-24T10:00:00-03:00",
        "data": {
            "appointment_id": f"apt-{run}-{i}",
            "client": {"name": "Cliente", "phone": f"+551198{run:02d}{i:05d}"},
            "service": "Corte",
            "starts_at": "2031-03-10T15:00:00-03:00",
        },
    }
    httpx.post(
        f"{daemon.public_url}/api/v1/events", json=event, headers={"X-API-Key": key}, timeout=5
    )


@pytest.mark.slow
async def test_no_job_reaches_meta_twice_across_kills(tmp_path: Path) -> None:
    rng = random.Random(5150)
    double = GraphDouble(token=TOKEN)
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        config = _config(tmp_path, double)
        for run in range(RUNS):
            # Some requests are read and never answered, or cut: the daemon cannot know
            # whether Meta took them.
            for _ in range(rng.randrange(0, 3)):
                (double.hang_next if rng.random() < 0.5 else double.drop_next)(1)
            daemon = DaemonProcess(config, test_hooks=False)
            await trio.to_thread.run_sync(daemon.start)
            seen_before = len(double.sends())
            kill_after = rng.randrange(1, BOOKINGS_PER_RUN)

            def book_and_kill(
                d: DaemonProcess = daemon,
                r: int = run,
                k: int = kill_after,
                base: int = seen_before,
            ) -> None:
                for i in range(BOOKINGS_PER_RUN):
                    try:
                        _book(d, r, i)
                    except httpx.HTTPError:
                        return
                    if len(double.sends()) - base >= k:
                        break
                time.sleep(rng.random() * 0.05)
                d.kill()

            await trio.to_thread.run_sync(book_and_kill)

        # A last clean start lets queued jobs go out, then everything is checked.
        daemon = DaemonProcess(config, test_hooks=False)
        await trio.to_thread.run_sync(daemon.start)
        with trio.fail_after(30):
            while True:
                with sqlite3.connect(daemon.data_dir / "recado.db") as conn:
                    left = conn.execute(
                        "SELECT COUNT(*) FROM messages WHERE kind = 'appointment_created' AND "
                        "state IN ('queued', 'sending')"
                    ).fetchone()[0]
                if left == 0:
                    break
                await trio.sleep(0.1)
        assert daemon.terminate() == 0
        nursery.cancel_scope.cancel()

    job_ids = [r.callback_data for r in double.sends()]
    twice = {j for j in job_ids if job_ids.count(j) > 1}
    assert not twice, f"sent twice: {sorted(twice)[:5]}"
    with sqlite3.connect(tmp_path / "var" / "recado.db") as conn:
        states = dict(
            conn.execute(
                "SELECT id, state FROM messages WHERE kind = 'appointment_created'"
            ).fetchall()
        )
    # What the double saw is sent, or uncertain/dead when its answer was lost. What it never
    # saw can only be a job killed between its "sending" commit and the request leaving: the
    # daemon cannot know the request did not leave, so it is uncertain too, never resent.
    assert states, "no bookings were made"
    for job, state in states.items():
        allowed = ("sent", "uncertain", "dead") if job in job_ids else ("uncertain", "dead")
        assert state in allowed, (job, state)
    assert any(s == "uncertain" for s in states.values()), "no send was interrupted"
