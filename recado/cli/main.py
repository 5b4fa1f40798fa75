"""``recado <noun> <verb>``: the daemon itself and every operator action.

Exit codes: 0 ok, 1 refused or failed, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from recado.cli import (
    conversations,
    db,
    hub,
    incidents,
    restore,
    simulate,
    templates,
    whatsapp_cli,
)
from recado.cli.check_config import check_config
from recado.cli.client import CliError, OperatorClient, fail
from recado.config import default_config_path


def _config_path(args: argparse.Namespace) -> Path:
    return Path(args.config) if args.config else default_config_path()


def cmd_run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: the daemon pulls in quart and hypercorn, which would add
    # half a second to every other command, each only an HTTP client of the daemon.
    from recado.daemon.main import run

    return run(_config_path(args))


def cmd_check_config(args: argparse.Namespace) -> int:
    return check_config(Path(args.config) if args.config else None)


def cmd_status(args: argparse.Namespace) -> int:
    data = OperatorClient.from_config(_config_path(args)).get("/dashboard.json")
    # Scripts and monitors read the exit code: 0 only when healthy.
    code = 0 if data["status"] == "healthy" else 1
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return code
    print(f"status: {data['status']}")
    for reason in data.get("reasons", []):
        print(f"  - {reason['text']}")
    wa = data.get("whatsapp", {})
    print(
        f"whatsapp: mode={wa.get('mode')} kill_switch={wa.get('kill_switch')} "
        f"connection={wa.get('connection')}"
    )
    queues = data.get("queues", {})
    if queues:
        print(
            f"events pending: {data['events']['pending']}  "
            f"retry queue: {queues['retry_queue']['total']} ({queues['retry_queue']['ready']} "
            f"ready)  dead letters: {queues['dead_letter']['total']}"
        )
    for name, b in data.get("breakers", {}).items():
        if b["state"] != "closed":
            print(f"breaker {name}: {b['state']} (failures {b['failure_count']})")
    for name, actor in data.get("actors", {}).items():
        print(f"actor {name}: {actor['state']} (restarts {actor['restarts']})")
    return code


def cmd_backup(args: argparse.Namespace) -> int:
    dest = Path(args.path).expanduser().resolve()
    result = OperatorClient.from_config(_config_path(args)).post("/backup", {"path": str(dest)})
    print(
        f"backup written to {result['path']} ({result['bytes']} bytes, "
        f"integrity_check {result['integrity_check']}, schema {result['schema_version']})"
    )
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    client = OperatorClient.from_config(_config_path(args))
    try:
        result = client.post("/config/reload")
    except CliError as exc:
        # The daemon's answer already says it refused, and why.
        return fail(str(exc))
    print("applied: " + (", ".join(result["applied"]) or "nothing changed"))
    if result["needs_restart"]:
        print("needs a restart: " + ", ".join(result["needs_restart"]))
    return 0


def cmd_webhooks_replay(args: argparse.Namespace) -> int:
    body: dict[str, object] = {}
    if args.since:
        body["since"] = args.since
    if args.id is not None:
        body["id"] = args.id
    result = OperatorClient.from_config(_config_path(args)).post("/webhooks/replay", body)
    print(f"replayed {result['bodies']} bodies, {result['failed']} failed")
    return 0 if result["failed"] == 0 else 1


def cmd_messages_list(args: argparse.Namespace) -> int:
    query = {
        k: v
        for k, v in (
            ("state", args.state),
            ("kind", args.kind),
            ("date", args.date),
            ("phone", args.phone),
            ("limit", args.limit),
        )
        if v
    }
    client = OperatorClient.from_config(_config_path(args))
    data = client.get("/messages.json" + (f"?{urlencode(query)}" if query else ""))
    for m in data["items"]:
        reason = f"  {m['reason_text']}" if m.get("reason_text") else ""
        print(
            f"{m['created_local']}  {m['id']}  {m['kind']:<22} {m['state']:<10} "
            f"{m['to_number'] or '-'}{reason}"
        )
    if not data["items"]:
        print("no messages")
    return 0


def cmd_messages_show(args: argparse.Namespace) -> int:
    data = OperatorClient.from_config(_config_path(args)).get(f"/messages/{args.id}.json")
    m = data["message"]
    print(f"{m['id']}  {m['kind']}  {m['state']}  to {m['to_number'] or '-'}")
    if m.get("reason_text"):
        print(f"reason: {m['reason_text']}")
    for e in data["timeline"]:
        print(f"  {e['local']}  {timeline_line(e)}")
    return 0


def timeline_line(e: dict[str, Any]) -> str:
    """One entry of a message's timeline (``http/message_timeline``), in a line."""
    what = e["what"]
    if what == "attempt":
        return f"attempt {e['n']}: {e['outcome']}" + (
            f" HTTP {e['http_status']}" if e["http_status"] else ""
        )
    if what == "status":
        return f"status {e['status']}: " + (
            "applied" if e["applied"] else f"ignored ({e['reason']})"
        )
    if what == "operator":
        was = f" (was {e['previous_state']})" if e.get("previous_state") else ""
        return f"operator {e['action']} from {e['source_ip'] or '-'}{was}"
    if what == "canceled":
        return "canceled" + (f": {e['reason']}" if e.get("reason") else "")
    # queued, or a kind of entry newer than this command: said by its name.
    return str(what)


def cmd_messages_retry(args: argparse.Namespace) -> int:
    result = OperatorClient.from_config(_config_path(args)).post(f"/messages/{args.id}/retry")
    print(f"{result['id']}: {result['previous_state']} -> {result['state']}")
    return 0


def cmd_kill_switch(args: argparse.Namespace) -> int:
    on = args.state == "on"
    result = OperatorClient.from_config(_config_path(args)).post(
        "/whatsapp/kill-switch", {"on": on}
    )
    print(
        f"kill switch {'on' if result['kill_switch'] else 'off'}"
        + (
            " (still on: whatsapp.kill_switch = true in the config)"
            if not on and result["from_config"]
            else ""
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recado", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="config file (default ./config.toml, then /etc/recado)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="run the daemon in the foreground")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check-config", parents=[common], help="validate the config file")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("status", parents=[common], help="the dashboard in one screen")
    p.add_argument("--json", action="store_true", help="print the dashboard JSON")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("backup", parents=[common], help="online backup of the database")
    p.add_argument("path", help="destination file (must not exist)")
    p.set_defaults(func=cmd_backup)

    restore.install(sub, common, _config_path)

    p = sub.add_parser("reload", parents=[common], help="re-read the config (like SIGHUP)")
    p.set_defaults(func=cmd_reload)

    webhooks = sub.add_parser("webhooks", help="stored Meta webhook bodies")
    wsub = webhooks.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = wsub.add_parser(
        "replay",
        parents=[common],
        help="re-run processing of stored bodies (a no-op for those already applied)",
    )
    p.add_argument("--since", help="only bodies received since this RFC 3339 time")
    p.add_argument("--id", type=int, help="only the body with this inbox id")
    p.set_defaults(func=cmd_webhooks_replay)

    messages = sub.add_parser("messages", help="WhatsApp messages and their timelines")
    msub = messages.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = msub.add_parser("list", parents=[common], help="recent messages")
    p.add_argument("--state")
    p.add_argument("--kind")
    p.add_argument("--date", help="YYYY-MM-DD, in the studio's time zone")
    p.add_argument("--phone", help="the client's number")
    p.add_argument("--limit", type=int)
    p.set_defaults(func=cmd_messages_list)
    p = msub.add_parser("show", parents=[common], help="one message with its timeline")
    p.add_argument("id")
    p.set_defaults(func=cmd_messages_show)
    p = msub.add_parser("retry", parents=[common], help="queue a failed/dead message again")
    p.add_argument("id")
    p.set_defaults(func=cmd_messages_retry)

    p = sub.add_parser("kill-switch", parents=[common], help="stop or resume all sending")
    p.add_argument("state", choices=["on", "off"])
    p.set_defaults(func=cmd_kill_switch)

    hub.install(sub, common, lambda args: OperatorClient.from_config(_config_path(args)))
    incidents.install(sub, common, lambda args: OperatorClient.from_config(_config_path(args)))
    whatsapp_cli.install(sub, common, lambda args: OperatorClient.from_config(_config_path(args)))
    templates.install(sub, common, lambda args: OperatorClient.from_config(_config_path(args)))
    conversations.install(sub, common, _config_path)
    db.install(sub, common, lambda args: OperatorClient.from_config(_config_path(args)))
    simulate.install(sub, common, _config_path)
    return parser


# What a shell reports for a program a closed pipe stopped (128 + SIGPIPE).
EXIT_PIPE_CLOSED = 141


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except CliError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`recado status | head`): what it did not read is not wanted, and
        # the flush at exit must not fail again on the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE_CLOSED


if __name__ == "__main__":
    sys.exit(main())
