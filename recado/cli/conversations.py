"""``recado conversations list|show``: the conversations index and one client's timeline,
read through the running daemon, times in the studio's zone (dd/mm/aaaa HH:MM)."""

from __future__ import annotations

import argparse
import json
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
    p.add_argument("wa_id", help="the client's number, digits")
    p.add_argument("--json", action="store_true", help="print the page's JSON")
    p.set_defaults(func=lambda args: show_conversation(args, config_path(args)))
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
            f"{_local(c['last_at'], tz)}  {c['wa_id']:<16} {c['title']}{phone}  "
            f"({window}; {c['inbound_count']} in, {c['outbound_count']} out)"
        )
    if not data["items"]:
        print("no conversations")
    elif data["has_more"]:
        print(f"more on page {data['page'] + 1}")
    return 0


def show_conversation(args: argparse.Namespace, path: Path) -> int:
    data = OperatorClient.from_config(path).get(f"/conversations/{quote(args.wa_id)}.json")
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    tz = _zone(path)
    print(data["title"] + (f"  {data['phone']}" if data["phone"] else ""))
    window = data["window"]
    if window["open"]:
        print(f"window open until {_local(window['expires_at'], tz)}")
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
