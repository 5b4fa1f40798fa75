"""An hour of a studio's mixed load on the real daemon: do memory and file handles stay flat?

The daemon runs as a child process (``recado run``, ``enabled`` mode) on a temporary data dir
against the Graph double and two service doubles in this process. The load
(recado/testing/mixed_load.py) steps at ``--rate`` requests per second on a fixed schedule,
cycling through appointment events (each a template send, then three signed status webhooks
from the Graph double), leads (a delivery to the CRM double), signed inbound texts (a
delivery to the operations double), button taps (a reply send) and operator page reads. At
the default 3 steps/s the daemon sees about 5.7 requests/s (3 from the load, 2.7 status
webhooks from the double) and makes 0.9 sends/s and 1.5 deliveries/s.

Every 10 s: the daemon's RSS (VmRSS) and open file descriptors (/proc/<pid>/fd), the WAL's
size, and p50/p95/p99 of the load's request latencies in that window. At the end: a table,
a CSV of the samples, the ledger (recado/testing/ledger.py: nothing acknowledged lost or
done twice) and the verdict: flat when the mean RSS of the last sixth of the run (the last
10 minutes of an hour) is within RSS_TOLERANCE of the mean over its 5th to 15th minute
(scaled the same way for shorter runs), and the most open fds then within FD_TOLERANCE.

Usage: .venv/bin/python bench/soak.py [--minutes 60] [--rate 3] [--csv /tmp/soak.csv]
Exit status 1 when the verdict or the ledger fails.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recado.testing.ledger import check
from recado.testing.mixed_load import MixedLoad, MixedRig, running_rig, settle, steady

SAMPLE_S = 10
RSS_TOLERANCE = 0.10  # +10 % of the baseline mean, and at least +4 MiB (allocator slack)
RSS_SLACK_MIB = 4.0
FD_TOLERANCE = 4  # a few sockets in flight more or less


@dataclass
class Row:
    t_s: float
    rss_mib: float
    fds: int
    wal_mib: float
    requests: int
    no_answer: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] * 1000 if values else float("nan")
        return v, v, v
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


def sample(rig: MixedRig, load: MixedLoad, t0: float, since: float) -> Row:
    pid = rig.daemon.pid
    wal = rig.db.with_name(rig.db.name + "-wal")
    window = [s for s in load.samples if s.at > since]
    p50, p95, p99 = _quantiles([s.seconds for s in window if s.status])
    return Row(
        t_s=round(time.monotonic() - t0, 1),
        rss_mib=round(_rss_mib(pid), 1),
        fds=len(os.listdir(f"/proc/{pid}/fd")),
        wal_mib=round(wal.stat().st_size / 2**20 if wal.exists() else 0.0, 2),
        requests=len(window),
        no_answer=sum(1 for s in window if not s.status),
        p50_ms=round(p50, 1),
        p95_ms=round(p95, 1),
        p99_ms=round(p99, 1),
    )


def verdict(rows: list[Row], minutes: float) -> tuple[bool, str]:
    total = minutes * 60
    base = [r for r in rows if total * 5 / 60 <= r.t_s <= total * 15 / 60]
    last = [r for r in rows if r.t_s >= total * 50 / 60]
    if not base or not last:
        return False, "too few samples for a verdict"
    base_rss = statistics.mean(r.rss_mib for r in base)
    last_rss = statistics.mean(r.rss_mib for r in last)
    rss_limit = base_rss + max(base_rss * RSS_TOLERANCE, RSS_SLACK_MIB)
    base_fds, last_fds = max(r.fds for r in base), max(r.fds for r in last)
    ok = last_rss <= rss_limit and last_fds <= base_fds + FD_TOLERANCE
    text = (
        f"RSS mean {base_rss:.1f} MiB (minutes {minutes * 5 / 60:.3g}-{minutes * 15 / 60:.3g}) "
        f"-> {last_rss:.1f} MiB (last {minutes / 6:.3g} min), limit {rss_limit:.1f}; "
        f"fds max {base_fds} -> {last_fds}, limit {base_fds + FD_TOLERANCE}: "
        + ("FLAT" if ok else "GROWING")
    )
    return ok, text


def table(rows: list[Row]) -> str:
    head = f"{'t_s':>7} {'rss_mib':>8} {'fds':>4} {'wal_mib':>8} {'req':>5} {'noans':>5} "
    head += f"{'p50_ms':>7} {'p95_ms':>7} {'p99_ms':>7}"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r.t_s:>7.0f} {r.rss_mib:>8.1f} {r.fds:>4} {r.wal_mib:>8.2f} {r.requests:>5} "
            f"{r.no_answer:>5} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p99_ms:>7.1f}"
        )
    return "\n".join(lines)


async def soak(minutes: float, rate: float, csv_path: Path) -> int:
    rows: list[Row] = []
    directory = Path(tempfile.mkdtemp(prefix="recado-soak-"))
    try:
        async with (
            running_rig(directory) as rig,
            httpx.AsyncClient(timeout=30) as client,
        ):
            load = MixedLoad(rig, client)
            t0 = time.monotonic()
            end = t0 + minutes * 60

            async def sampler() -> None:
                since = t0
                while time.monotonic() < end:
                    await trio.sleep(SAMPLE_S)
                    rows.append(sample(rig, load, t0, since))
                    since = time.monotonic()
                    print(table(rows[-1:]).splitlines()[1], flush=True)

            print(f"soak: {minutes:g} min at {rate:g} steps/s, pid {rig.daemon.pid}", flush=True)
            print(table([]), flush=True)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sampler)
                await steady(load, rate, lambda: time.monotonic() >= end)
            await settle(rig, load)
            ledger = check(rig.db, load.ledger, rig.graph, rig.services)
            peak = rig.daemon.peak_rss_mib()
        with csv_path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(asdict(rows[0])))
            writer.writeheader()
            writer.writerows(asdict(r) for r in rows)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    ok, text = verdict(rows, minutes)
    every = [s for s in load.samples if s.status]
    p50, p95, p99 = _quantiles([s.seconds for s in every])
    print(table(rows))
    print(
        f"\nrequests {len(load.samples)} ({len(load.samples) / (minutes * 60):.2f}/s from the "
        f"load), no answer {len(load.samples) - len(every)}; whole run p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {p99:.1f} ms; peak RSS (VmHWM) {peak:.1f} MiB; WAL max "
        f"{max(r.wal_mib for r in rows):.2f} MiB; Graph sends {ledger.sends}, deliveries "
        f"{ledger.deliveries}"
    )
    print(f"ledger: {ledger.line()}")
    print(f"verdict: {text}")
    print(f"samples: {csv_path}")
    return 0 if ok and ledger.clean else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--rate", type=float, default=3.0, help="load steps per second")
    parser.add_argument("--csv", type=Path, default=Path(tempfile.gettempdir()) / "soak.csv")
    args = parser.parse_args()
    sys.exit(trio.run(soak, args.minutes, args.rate, args.csv))


if __name__ == "__main__":
    main()
