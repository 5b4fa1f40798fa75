"""Kill the daemon with SIGKILL at random moments under mixed load, restart it, and check the
ledger: what bench/chaos.py runs 100 times and tests/test_chaos_kills.py 10 times.

Each life of the daemon: start it on the same data dir, post again what went unanswered in the
last life (same ids: a studio system retries, Meta redelivers), run the mixed load
(``WORKERS`` steppers, so several requests are in flight beside the daemon's own sends,
deliveries and the Graph double's status webhooks) and SIGKILL it after a random
``life_s``. After the last kill: one more start, the unanswered posted again, wait until
everything acknowledged was worked off, then the ledger.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import trio

from recado.testing.ledger import Verdict, check
from recado.testing.mixed_load import MixedLoad, running_rig, settle, steady

WORKERS = 3
RATE_PER_WORKER = 4.0  # steps/s each: ~12 requests/s from the load while the daemon lives


@dataclass
class ChaosResult:
    kills: int
    verdict: Verdict
    settled: bool
    restarts_s: list[float] = field(default_factory=list)
    lives_s: list[float] = field(default_factory=list)
    requests: int = 0
    unanswered: int = 0  # posts cut by a kill and posted again in the next life
    seconds: float = 0.0

    def lines(self) -> list[str]:
        restart = sorted(self.restarts_s)
        return [
            f"kills {self.kills} in {self.seconds:.0f} s; lives {min(self.lives_s):.2f}-"
            f"{max(self.lives_s):.2f} s (mean {statistics.mean(self.lives_s):.2f}); restart to "
            f"READY=1 median {statistics.median(restart):.2f} s, max {restart[-1]:.2f} s",
            f"requests {self.requests}, cut by a kill and posted again {self.unanswered}; "
            f"settled: {self.settled}",
            f"ledger: {self.verdict.line()}",
        ]


async def chaos(
    directory: Path,
    kills: int,
    *,
    seed: int = 1,
    life_s: tuple[float, float] = (0.3, 2.5),
    report: bool = False,
) -> ChaosResult:
    rng = random.Random(seed)
    restarts: list[float] = []
    lives: list[float] = []
    cut = 0
    t0 = time.monotonic()
    async with (
        running_rig(directory) as rig,
        httpx.AsyncClient(timeout=10) as client,
    ):
        load = MixedLoad(rig, client, seed=seed)
        for k in range(kills + 1):
            if k:
                started = time.monotonic()
                await rig.start()
                restarts.append(time.monotonic() - started)
            cut += len(load.unanswered)
            await load.resend_unanswered()
            if k == kills:
                break
            life = rng.uniform(*life_s)
            lives.append(life)
            async with trio.open_nursery() as nursery:
                for _ in range(WORKERS):
                    nursery.start_soon(steady, load, RATE_PER_WORKER, lambda: not rig.alive)
                await trio.sleep(life)
                rig.kill()
            if report:
                print(f"kill {k + 1}/{kills} after {life:.2f} s", flush=True)
        done = await settle(rig, load)
        verdict = check(rig.db, load.ledger, rig.graph, rig.services)
    return ChaosResult(
        kills=kills,
        verdict=verdict,
        settled=done,
        restarts_s=restarts,
        lives_s=lives,
        requests=len(load.samples),
        unanswered=cut,
        seconds=time.monotonic() - t0,
    )
