"""``recado keys rotate`` and ``recado whatsapp status|disconnect``: the WhatsApp connection's
operator actions, through the running daemon (the data key is rotated while it runs)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from recado.cli.client import OperatorClient

Client = Callable[[argparse.Namespace], OperatorClient]


def install(sub: Any, common: argparse.ArgumentParser, client: Client) -> None:
    def handler(fn: Callable[[OperatorClient, argparse.Namespace], int]) -> Any:
        return lambda args: fn(client(args), args)

    keys = sub.add_parser("keys", help="the keys that encrypt tokens at rest")
    ksub = keys.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = ksub.add_parser(
        "rotate",
        parents=[common],
        help="a new data key; every stored token re-encrypted under it (daemon running)",
    )
    p.set_defaults(func=handler(keys_rotate))

    whatsapp = sub.add_parser("whatsapp", help="the WhatsApp connection (Embedded Signup)")
    wsub = whatsapp.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = wsub.add_parser("status", parents=[common], help="the connection and its token")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler(whatsapp_status))
    p = wsub.add_parser(
        "disconnect", parents=[common], help="unsubscribe the app and end the connection"
    )
    p.set_defaults(func=handler(whatsapp_disconnect))


def keys_rotate(client: OperatorClient, args: argparse.Namespace) -> int:
    result = client.post("/keys/rotate")
    print(
        f"data key {result['key_id']} in use (master key {result['master_key_id']}); "
        f"{result['reencrypted']} secret(s) re-encrypted, "
        f"{len(result['retired'])} old key(s) removed"
    )
    return 0


def whatsapp_status(client: OperatorClient, args: argparse.Namespace) -> int:
    data = client.get("/api/v1/whatsapp/connection/status")
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0 if data["status"] == "active" else 1
    c = data.get("connection") or {}
    print(f"status: {data['status']}  (sends use: {data['source']})")
    if c:
        print(
            f"number: {c.get('display_phone_number') or '-'}  business: "
            f"{c.get('business_name') or '-'}  waba: {c.get('waba_id') or '-'}"
        )
        expires = c.get("token_expires_at") or "never"
        print(f"token: valid={c.get('token_valid')} expires={expires}")
        if c.get("reason_en") and data["status"] != "active":
            print(f"reason: {c['reason_en']}")
    for s in data.get("smb_syncs", []):
        print(f"sync {s['sync_type']}: {s['status']} (attempts {s['attempts']})")
    return 0 if data["status"] == "active" else 1


def whatsapp_disconnect(client: OperatorClient, args: argparse.Namespace) -> int:
    result = client.post("/api/v1/whatsapp/connection/disconnect")
    tail = "" if result["unsubscribed"] else " (Meta's unsubscribe failed; see its history)"
    print(f"connection {result['connection_id']} disconnected{tail}")
    return 0
