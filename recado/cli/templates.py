"""``recado templates sync|list``: the WABA's templates, read through the running daemon."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from recado.cli.client import OperatorClient

Client = Callable[[argparse.Namespace], OperatorClient]


def install(sub: Any, common: argparse.ArgumentParser, client: Client) -> None:
    templates = sub.add_parser("templates", help="WhatsApp message templates at Meta")
    tsub = templates.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = tsub.add_parser("sync", parents=[common], help="read the templates from Meta now")
    p.set_defaults(func=lambda args: sync(client(args)))
    p = tsub.add_parser(
        "list", parents=[common], help="configured templates, what differs at Meta, the last read"
    )
    p.add_argument("--json", action="store_true", help="print the page's JSON")
    p.set_defaults(func=lambda args: list_templates(client(args), args.json))


def sync(client: OperatorClient) -> int:
    result = client.post("/templates/sync")
    record = result["sync"]
    if record["outcome"] == "ok":
        print(f"{record['templates']} templates read from WABA {record['waba_id']}")
        if record["set_aside"]:
            print(f"{record['set_aside']} could not be read (set aside; see the daemon's log)")
        return 0
    print(f"the read failed ({record['error_code']}): {record['error_en']}")
    return 1


def list_templates(client: OperatorClient, as_json: bool) -> int:
    data = client.get("/templates.json")
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    for c in data["configured"]:
        if not c["known"]:
            verdict = "not checked (no definition from Meta yet)"
        elif c["problems"]:
            verdict = "; ".join(p["text"] for p in c["problems"])
        else:
            verdict = "ok"
        print(f"{c['key']:<24} {c['name']} ({c['language']})  {c['status'] or '-'}  {verdict}")
    sync_state = data["sync"]
    last = sync_state["last"]
    if last is None:
        print("never read from Meta" + ("" if sync_state["configured"] else " (not configured)"))
    else:
        print(f"last read {last['finished_at']}: {last['outcome']}, {last['templates']} templates")
        if sync_state["error"]:
            print(f"  {sync_state['error']}")
    print(f"{len(data['meta'])} templates at Meta")
    # A script reads the exit code: 1 when a configured template cannot be sent as configured.
    return 1 if any(c["problems"] for c in data["configured"]) else 0
