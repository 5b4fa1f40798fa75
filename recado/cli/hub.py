"""``recado dlq|breakers|sync|report``: the integration hub's operator actions."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from recado.cli.client import CliError, OperatorClient

Client = Callable[[argparse.Namespace], OperatorClient]


def install(sub: Any, common: argparse.ArgumentParser, client: Client) -> None:
    def handler(fn: Callable[[OperatorClient, argparse.Namespace], int]) -> Any:
        return lambda args: fn(client(args), args)

    dlq = sub.add_parser("dlq", help="deliveries that gave up (dead letters)")
    dsub = dlq.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = dsub.add_parser("list", parents=[common], help="dead deliveries, newest first")
    p.add_argument("--archived", action="store_true", help="list archived ones instead")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(dlq_list))
    p = dsub.add_parser("retry", parents=[common], help="send a dead delivery again")
    p.add_argument("id", type=int)
    p.set_defaults(func=handler(lambda c, a: _act(c, f"/dlq/{a.id}/retry")))
    p = dsub.add_parser("archive", parents=[common], help="set a dead delivery aside")
    p.add_argument("id", type=int)
    p.set_defaults(func=handler(lambda c, a: _act(c, f"/dlq/{a.id}/archive")))

    breakers = sub.add_parser("breakers", help="circuit breakers of the studio's services")
    bsub = breakers.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = bsub.add_parser("list", parents=[common], help="each service's breaker")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(breakers_list))
    p = bsub.add_parser("reset", parents=[common], help="close a service's breaker")
    p.add_argument("service")
    p.set_defaults(func=handler(breakers_reset))

    sync = sub.add_parser("sync", help="scheduled sync jobs")
    ssub = sync.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = ssub.add_parser("list", parents=[common], help="each job's last run and next fire")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(sync_list))
    p = ssub.add_parser("run", parents=[common], help="start a run now")
    p.add_argument("name")
    p.set_defaults(func=handler(lambda c, a: _act(c, f"/sync/{a.name}/run")))
    p = ssub.add_parser("failures", parents=[common], help="a job's items set aside")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(sync_failures))
    p = ssub.add_parser("retry-item", parents=[common], help="post a set-aside item again")
    p.add_argument("name")
    p.add_argument("id", type=int)
    p.set_defaults(func=handler(lambda c, a: _act(c, f"/sync/{a.name}/failures/{a.id}/retry")))

    report = sub.add_parser("report", help="reports")
    rsub = report.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = rsub.add_parser("daily", parents=[common], help="one day's events, deliveries, syncs")
    p.add_argument("--date", help="YYYY-MM-DD in the studio's time zone (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(report_daily))


def _act(client: OperatorClient, path: str) -> int:
    result = client.post(path)
    print(result.get("message", ""), json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


def _dump(data: Any) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def dlq_list(client: OperatorClient, args: argparse.Namespace) -> int:
    state = "archived" if args.archived else "dead"
    data = client.get(f"/dlq.json?state={state}&page={args.page}")
    if args.json:
        return _dump(data)
    for d in data["items"]:
        print(
            f"{d['id']:>6}  {d['event_id']}  {d['destination']}  attempts={d['attempts']}  "
            f"created={d['created_at']}\n        {d['reason'] or ''}"
        )
    print(f"{data['total']} {state} (page {data['page']})")
    return 0


def _listing(
    client: OperatorClient,
    args: argparse.Namespace,
    path: str,
    key: str,
    line: Callable[[str, dict[str, Any]], str],
    empty: str,
) -> int:
    """A name → item listing: one line each, or the JSON with ``--json``."""
    data = client.get(path)
    if args.json:
        return _dump(data)
    for name, item in data[key].items():
        print(line(name, item))
    if not data[key]:
        print(empty)
    return 0


def breakers_list(client: OperatorClient, args: argparse.Namespace) -> int:
    def line(name: str, b: dict[str, Any]) -> str:
        extra = f"  half-open at {b['half_open_at']}" if b["half_open_at"] else ""
        return f"{name:<16} {b['state']:<10} failures={b['failure_count']}{extra}"

    return _listing(
        client, args, "/circuit-breakers.json", "breakers", line, "no services configured"
    )


def breakers_reset(client: OperatorClient, args: argparse.Namespace) -> int:
    result = client.post(f"/circuit-breakers/{args.service}/reset")
    print(f"{result['service']}: {result['state']} (failures {result['failure_count']})")
    return 0


def sync_list(client: OperatorClient, args: argparse.Namespace) -> int:
    def line(name: str, job: dict[str, Any]) -> str:
        return (
            f"{name:<20} last={job['last_run'] or '-'} ({job['last_status'] or 'never'})  "
            f"next={job['next_run'] or '-'}  recent_failures={job['recent_failures']}"
            + ("  RUNNING" if job["running"] else "")
        )

    return _listing(client, args, "/sync.json", "jobs", line, "no sync jobs configured")


def sync_failures(client: OperatorClient, args: argparse.Namespace) -> int:
    jobs = client.get("/sync.json")["jobs"]
    if args.name not in jobs:
        raise CliError(f'no sync job "{args.name}" in [[sync]]; jobs: {", ".join(jobs) or "none"}')
    failures = jobs[args.name].get("failures", [])
    if args.json:
        return _dump(failures)
    for f in failures:
        print(
            f"{f['id']:>6}  {f['item_key']}  attempts={f['attempts']}  at={f['at']}\n"
            f"        {f['reason']}"
        )
    print(f"{len(failures)} item(s) set aside")
    return 0


def report_daily(client: OperatorClient, args: argparse.Namespace) -> int:
    data = client.get("/report/daily.json" + (f"?date={args.date}" if args.date else ""))
    if args.json:
        return _dump(data)
    e, d = data["events"], data["deliveries"]
    print(f"report for {data['date']}")
    print(f"events: {e['total']} total, {e['processed']} processed, {e['failed']} failed")
    print(f"deliveries: {d['total']} total, {d['success']} succeeded")
    print(f"dead letters added: {data['dead_letter_added']}")
    for name, s in data["sync_jobs"].items():
        print(f"sync {name}: {s['success']}/{s['total']} runs done")
    states = ", ".join(f"{k} {v}" for k, v in data["messages"].items()) or "none"
    print(f"messages: {states}")
    simulated = data.get("dry_run_messages") or {}
    if simulated:
        # Recorded by a dry run, never sent: apart, so no one counts them as reaching a client.
        print("dry run (not sent): " + ", ".join(f"{k} {v}" for k, v in simulated.items()))
    return 0
