"""``recado conversations list|show|reply``: the conversations index, one client's timeline
(times in the studio's zone, dd/mm/aaaa HH:MM) and an operator's free-form answer to a
client (only while their 24 h window is open; sent once), through the running daemon."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from recado.cli.client import CliError, OperatorClient
from recado.clock import from_unix, parse_iso
from recado.config import ConfigError, load_config

ConfigPath = Callable[[argparse.Namespace], Path]


def install(sub: Any, common: argparse.ArgumentParser, config_path: ConfigPath) -> Any:
    """Adds the verbs; returns their subparsers, where other verbs of the group go."""
    group = sub.add_parser("conversations", help="conversations with clients and their timelines")
    csub = group.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = csub.add_parser("list", parents=[common], help="conversations, most recent first")
    p.add_argument("--search", "-q", help="a name or a number")
    p.add_argument("--page", type=int)
    p.add_argument("--json", action="store_true", help="print the page's JSON")
    p.set_defaults(func=lambda args: list_conversations(args, config_path(args)))
    p = csub.add_parser("show", parents=[common], help="one client's window and timeline")
    p.add_argument("key", help="the client's number (digits) or WhatsApp user id (BSUID)")
    p.add_argument("--json", action="store_true", help="print the page's JSON")
    p.set_defaults(func=lambda args: show_conversation(args, config_path(args)))
    p = csub.add_parser("reply", parents=[common], help="answer a client (window open only)")
    p.add_argument("customer", type=int, help="the client's customer id (as list shows it)")
    p.add_argument("text", help="the reply, as it is sent")
    p.add_argument(
        "--request-id",
        help="names this reply: the same id again sends nothing new (default: a new one)",
    )
    p.set_defaults(
        func=lambda args: reply(
            OperatorClient.from_config(config_path(args)),
            args.customer,
            args.text,
            args.request_id or uuid.uuid4().hex,
        )
    )
    return csub


def _zone(path: Path) -> ZoneInfo:
    try:
        return ZoneInfo(load_config(path).daemon.timezone)
    except ConfigError as exc:
        raise CliError(f"cannot use {path}:\n" + "\n".join(exc.problems)) from exc


def _local(value: str | int | None, tz: ZoneInfo) -> str:
    when = from_unix(value) if isinstance(value, int) else parse_iso(value) if value else None
    return when.astimezone(tz).strftime("%d/%m/%Y %H:%M") if when else "-"


def list_conversations(args: argparse.Namespace, path: Path) -> int:
    query = {k: v for k, v in (("q", args.search), ("page", args.page)) if v}
    data = OperatorClient.from_config(path).get(
        "/conversations.json" + (f"?{urlencode(query)}" if query else "")
    )
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    tz = _zone(path)
    for c in data["items"]:
        phone = f"  {c['phone']}" if c["phone"] else ""
        window = "window open" if c["window_open"] else "window closed"
        print(
            f"{_local(c['last_at'], tz)}  {c['key']:<16} #{c['customer_id']:<4} "
            f"{c['title']}{phone}  "
            f"({window}; {c['inbound_count']} in, {c['outbound_count']} out)"
        )
    if not data["items"]:
        print("no conversations")
    elif data["has_more"]:
        print(f"more on page {data['page'] + 1}")
    return 0


def show_conversation(args: argparse.Namespace, path: Path) -> int:
    data = OperatorClient.from_config(path).get(f"/conversations/{quote(args.key)}.json")
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    tz = _zone(path)
    print(data["title"] + (f"  {data['phone']}" if data["phone"] else ""))
    window = data["window"]
    if window["open"]:
        print(
            f"window open until {_local(window['expires_at'], tz)} (customer {data['customer_id']})"
        )
    elif window["reason"] == "no_inbound":
        print("window closed: the client never wrote")
    else:
        print(f"window closed since {_local(window['expires_at'], tz)}")
    for a in data["activity"]:
        if a["revoked"]:
            text = "(deleted by the client)"
        else:
            text = (a["text"] or "-") + (" (edited)" if a["edited"] else "")
        state = f" [{a['state']}]" if a["state"] else ""
        print(f"{_local(a['ts'], tz)}  {a['direction']:<15} {a['type']}{state}  {text}")
    return 0


def reply(client: OperatorClient, customer: int, text: str, request_id: str) -> int:
    result = client.post(f"/customers/{customer}/reply", {"text": text, "request_id": request_id})
    said = "queued" if result["new"] else "already queued"
    print(f"{result['id']}: {said} ({result['state']})")
    return 0
