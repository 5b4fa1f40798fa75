"""Start-to-ready (exec to ``READY=1``) of the daemon on databases built by
``bench/pages_at_scale.py``, the median of several starts per size, optionally beside the same
starts of another checkout of recado (``--baseline-src``), alternating so both see the same
load; with each start's phases from the daemon's log (imports until ``starting``, storage
and apps until ``listening``, the actors' starts until ``ready``).

Usage: .venv/bin/python bench/start_to_ready.py --dir /tmp/recado-pages-at-scale
       [--sizes 10000,1000000] [--starts 7] [--baseline-src /path/to/other/checkout]

Run it from outside the source tree (``cd /tmp``): ``python -m`` puts the working directory
first on the path, which would hide ``--baseline-src``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime
from pathlib import Path

from pages_at_scale import installed_bytecode

from recado.testing.daemon_process import DaemonProcess

PHASES = ("starting", "listening", "ready")


def phases(log: str, exec_at: float) -> dict[str, float]:
    """Milliseconds from exec to the first log line of each phase's end."""
    found: dict[str, float] = {}
    for line in log.splitlines():
        if not line.startswith("ts="):
            continue
        at = datetime.fromisoformat(line[3:27].replace("Z", "+00:00")).timestamp()
        for event in PHASES:
            if f" event={event} " in line and event not in found:
                found[event] = (at - exec_at) * 1000
    return found


def start_once(config: Path, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    daemon = DaemonProcess(config, test_hooks=False, env=env)
    offset = daemon.log_path.stat().st_size if daemon.log_path.exists() else 0
    exec_at, started = time.time(), time.perf_counter()
    daemon.start(timeout_s=120)
    took = (time.perf_counter() - started) * 1000
    daemon.terminate()
    return took, phases(daemon.log_path.read_bytes()[offset:].decode(), exec_at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--baseline-src", type=Path)
    args = parser.parse_args()
    variants = {"this": installed_bytecode(args.dir / "pycache-this")}
    if args.baseline_src:
        baseline = installed_bytecode(args.dir / "pycache-baseline")
        variants["baseline"] = {**baseline, "PYTHONPATH": str(args.baseline_src)}
    runs: dict[tuple[str, str], list[tuple[float, dict[str, float]]]] = {
        (v, s): [] for v in variants for s in args.sizes.split(",")
    }
    # One round more than asked: the first compiles and caches the bytecode.
    for round_ in range(args.starts + 1):
        for variant, size in runs:
            outcome = start_once(args.dir / size / "config.toml", variants[variant])
            if round_:
                runs[(variant, size)].append(outcome)
    for (variant, size), outcomes in runs.items():
        took = [t for t, _ in outcomes]
        marks = [m for _, m in outcomes]
        imports = statistics.median(m["starting"] for m in marks)
        apps = statistics.median(m["listening"] - m["starting"] for m in marks)
        actors = statistics.median(m["ready"] - m["listening"] for m in marks)
        print(
            f"{variant} {size}: start-to-ready median {statistics.median(took):.0f} ms "
            f"(all {', '.join(f'{t:.0f}' for t in took)}); phases (medians): until starting "
            f"{imports:.0f} ms, until listening {apps:.0f} ms, until ready {actors:.0f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
