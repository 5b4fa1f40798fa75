"""``recado incident list|show|open|update|resolve``: incidents through the operator listener."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from recado.cli.client import OperatorClient

Client = Callable[[argparse.Namespace], OperatorClient]


def install(sub: Any, common: argparse.ArgumentParser, client: Client) -> None:
    def handler(fn: Callable[[OperatorClient, argparse.Namespace], int]) -> Any:
        return lambda args: fn(client(args), args)

    incident = sub.add_parser("incident", help="incidents (the WhatsApp incident SOP)")
    isub = incident.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = isub.add_parser("list", parents=[common], help="incidents, newest first")
    p.add_argument("--state", choices=["active", "open", "mitigated", "resolved"])
    p.add_argument("--severity", choices=["sev1", "sev2"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(incident_list))

    p = isub.add_parser("show", parents=[common], help="one incident with its timeline")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(incident_show))

    p = isub.add_parser("open", parents=[common], help="open an incident by hand")
    p.add_argument("--severity", choices=["sev1", "sev2"], required=True)
    p.add_argument("--priority", choices=["P1", "P2", "P3", "P4"])
    p.add_argument("--title", required=True)
    p.add_argument("--description", default="")
    p.set_defaults(func=handler(incident_open))

    p = isub.add_parser("update", parents=[common], help="post the 30-minute update")
    p.add_argument("id", type=int)
    p.add_argument("--note", default="", help="for the team")
    p.add_argument("--public-note", help="shown on /status (an empty text removes it)")
    p.add_argument("--mitigated", action="store_true", help="a workaround is in place")
    p.set_defaults(func=handler(incident_update))

    p = isub.add_parser(
        "resolve", parents=[common], help="resolve (after 30 min of normal flow, or --force)"
    )
    p.add_argument("id", type=int)
    p.add_argument("--root-cause", required=True)
    p.add_argument("--corrective-actions", required=True)
    p.add_argument("--force", metavar="REASON", help="resolve now, with this reason (audited)")
    p.set_defaults(func=handler(incident_resolve))


def _line(i: dict[str, Any]) -> str:
    return f"#{i['id']:<5} {i['severity']} {i['priority']} {i['state']:<9} {i['title']}"


def incident_list(client: OperatorClient, args: argparse.Namespace) -> int:
    query = {k: v for k, v in (("state", args.state), ("severity", args.severity)) if v}
    data = client.get("/incidents.json" + (f"?{urlencode(query)}" if query else ""))
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    for i in data["items"]:
        print(f"{_line(i)}  (started {i['started_at']})")
    if not data["items"]:
        print("no incidents")
    return 0


def incident_show(client: OperatorClient, args: argparse.Namespace) -> int:
    data = client.get(f"/incidents/{args.id}.json")
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(_line(data["incident"]))
    for c in data["clocks"]:
        print(f"  {c['name']:<11} due {c['due_at'] or '-'}  {c['state']}")
    if data["resolution"] is not None:
        r = data["resolution"]
        print("  resolvable now" if r["allowed"] else f"  not resolvable yet: {r['reason']}")
    for e in data["timeline"]:
        print(f"  {e['at']}  {e['kind']:<10} {e['text']}")
    return 0


def incident_open(client: OperatorClient, args: argparse.Namespace) -> int:
    body = {"severity": args.severity, "title": args.title, "description": args.description}
    if args.priority:
        body["priority"] = args.priority
    result = client.post("/incidents", body)
    print(f"opened {_line(result['incident'])}")
    return 0


def incident_update(client: OperatorClient, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"note": args.note, "mitigated": args.mitigated}
    if args.public_note is not None:
        body["public_note"] = args.public_note
    result = client.post(f"/incidents/{args.id}/update", body)
    print(f"updated #{args.id}; next update due {result['next_update_due']}")
    return 0


def incident_resolve(client: OperatorClient, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {
        "root_cause": args.root_cause,
        "corrective_actions": args.corrective_actions,
        "force": args.force is not None,
    }
    if args.force is not None:
        body["reason"] = args.force
    result = client.post(f"/incidents/{args.id}/resolve", body)
    forced = " (forced)" if result["forced"] else ""
    due = result["postmortem_due"]
    print(f"resolved #{args.id}{forced}" + (f"; post-mortem due {due}" if due else ""))
    return 0
