"""``recado conversations reply``: an operator's free-form answer to a client, through the
running daemon (only while the client's 24 h window is open; sent once)."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from typing import Any

from recado.cli.client import OperatorClient

Client = Callable[[argparse.Namespace], OperatorClient]


def install(sub: Any, common: argparse.ArgumentParser, client: Client) -> None:
    conversations = sub.add_parser("conversations", help="conversations with clients")
    csub = conversations.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = csub.add_parser("reply", parents=[common], help="answer a client (window open only)")
    p.add_argument("customer", type=int, help="the client's customer id")
    p.add_argument("text", help="the reply, as it is sent")
    p.add_argument(
        "--request-id",
        help="names this reply: the same id again sends nothing new (default: a new one)",
    )
    p.set_defaults(
        func=lambda args: reply(
            client(args), args.customer, args.text, args.request_id or uuid.uuid4().hex
        )
    )


def reply(client: OperatorClient, customer: int, text: str, request_id: str) -> int:
    result = client.post(f"/customers/{customer}/reply", {"text": text, "request_id": request_id})
    said = "queued" if result["new"] else "already queued"
    print(f"{result['id']}: {said} ({result['state']})")
    return 0
