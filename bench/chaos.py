"""SIGKILL the daemon at random moments under mixed load, N times, and check the ledger.

The long form of tests/test_chaos_kills.py (10 kills), with the same machinery
(recado/testing/chaos_kills.py): a real daemon process (``recado run``, ``enabled``) on a
temporary data dir against the Graph double and two service doubles; appointment events
(template sends, status webhooks back), leads (CRM deliveries), signed inbound texts
(deliveries to the operations double), button taps (reply sends) and operator page reads from
three steppers at 4 steps/s each; each life ends in SIGKILL after a random 0.3-2.5 s, what
was cut is posted again after the restart. Then: 0 lost, 0 applied twice, 0 sent twice (the
Graph double's log), 0 delivered with a new Idempotency-Key (the service doubles' logs).

Usage: .venv/bin/python bench/chaos.py [--kills 100] [--seed 1]
Exit status 1 when the ledger is not clean or the work was not finished.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recado.testing.chaos_kills import chaos


async def run(kills: int, seed: int) -> int:
    directory = Path(tempfile.mkdtemp(prefix="recado-chaos-"))
    try:
        result = await chaos(directory, kills, seed=seed, report=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print("\n".join(result.lines()))
    for problem in [
        *result.verdict.lost,
        *result.verdict.applied_twice,
        *result.verdict.sent_twice,
        *result.verdict.new_key,
    ][:20]:
        print(f"  {problem}")
    return 0 if result.verdict.clean and result.settled else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.exit(trio.run(run, args.kills, args.seed))


if __name__ == "__main__":
    main()
