"""schemathesis on both listeners of a real daemon, with many more examples than the test
suite's run (tests/test_openapi_fuzz.py): no 5xx, every answer as documented in the listener's
/openapi.json, every 4xx the JSON error shape.

Prints, per operation, how many requests got each status, then every failure found.
Exits 1 when there is one.

Usage: .venv/bin/python bench/fuzz.py [--examples 500] [--seed N] [--listener public|operator]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.openapi_fuzz import fuzz_listener, live_daemon


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="cases per operation")
    parser.add_argument("--seed", type=int, default=None, help="a run to repeat (default: new)")
    parser.add_argument("--listener", choices=("public", "operator"), action="append")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="recado-fuzz-") as directory:
        for live in live_daemon(Path(directory)):
            for listener in args.listener or ["public", "operator"]:
                started = time.monotonic()
                outcome = fuzz_listener(live, listener, args.examples, seed=seed)
                took = time.monotonic() - started
                total = sum(sum(seen.values()) for seen in outcome.statuses.values())
                print(f"{listener}: {total} requests in {took:.0f} s (seed {seed})")
                for operation, seen in sorted(outcome.statuses.items()):
                    counts = ", ".join(f"{s}: {n}" for s, n in sorted(seen.items()))
                    print(f"  {operation:<60} {counts}")
                failures += outcome.failures
            break
    for failure in failures:
        print(f"\nFAILED {failure}")
    print(f"\n{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
