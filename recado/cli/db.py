"""``recado db stats``: the database's size, growth and retention runs, as the dashboard
shows them (read through the running daemon)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from recado.cli.client import OperatorClient

Client = Callable[[argparse.Namespace], OperatorClient]


def install(sub: Any, common: argparse.ArgumentParser, client: Client) -> None:
    db = sub.add_parser("db", help="the database file")
    dsub = db.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = dsub.add_parser("stats", parents=[common], help="size, growth per day, retention runs")
    p.add_argument("--json", action="store_true", help="print the dashboard's database JSON")
    p.set_defaults(func=lambda args: stats(client(args), args.json))


def _mb(n: float) -> str:
    return f"{n / 1048576:.1f} MB"


def stats(client: OperatorClient, as_json: bool) -> int:
    data = client.get("/dashboard.json")["database"]
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    growth = data["growth_bytes_per_day"]
    print(f"size: {_mb(data['bytes'])} ({data['bytes']} bytes)")
    if growth is None:
        print("growth: unknown (fewer than two retention runs a day apart)")
    else:
        print(f"growth: {_mb(growth)} per day")
    last = data["last_retention"]
    if last is None:
        print("last retention run: none yet")
    else:
        print(
            f"last retention run: {last['finished_at']}, {last['rows']} rows, longest batch "
            f"{last['longest_batch_ms']} ms, {last['pages_freed']} pages freed"
        )
    print(f"next retention run: {data['next_retention_at']}")
    return 0
