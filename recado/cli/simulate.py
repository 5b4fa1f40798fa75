"""``recado simulate``: play a client against the running daemon, for demos and trials.

Each verb posts one webhook body in Meta's wire format to the daemon's public listener,
signed with the configured app secret (unsigned when none is set, which the daemon accepts
outside ``enabled`` mode): a text from a client, a tap on a template button, or the status
webhooks Meta sends after a message goes out. Nothing here reaches WhatsApp by itself; but a
daemon in ``enabled`` mode answers a simulated client with real sends to that number, so
there every verb is refused unless ``--force`` says the Graph API is a stand-in.
"""

from __future__ import annotations

import argparse
import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from recado.cli.client import CliError, OperatorClient
from recado.config import ConfigError, load_config
from recado.daemon.runtime_file import read_runtime
from recado.rules.buttons import BUTTONS
from recado.rules.kinds import TEMPLATE_KINDS
from recado.rules.phone import PhoneError, normalize_phone, wa_id_of
from recado.testing import webhook_bodies as wb

# The labels the studio's templates show on their quick-reply buttons.
BUTTON_LABELS = {"CONFIRM": "Confirmar", "RESCHEDULE": "Reagendar", "TALK": "Falar com a equipe"}


def install(sub: Any, common: argparse.ArgumentParser, config_path: Any) -> None:
    simulate = sub.add_parser("simulate", help="play a client against the running daemon")
    ssub = simulate.add_subparsers(dest="verb", required=True, metavar="VERB")
    force = argparse.ArgumentParser(add_help=False)
    force.add_argument(
        "--force",
        action="store_true",
        help='play along even when whatsapp.mode is "enabled" (only against a stand-in for '
        "the Graph API, such as recado.testing.graph_double: the daemon's answers are real "
        "sends)",
    )
    common = argparse.ArgumentParser(add_help=False, parents=[common, force])
    p = ssub.add_parser("text", parents=[common], help="a client writes a text message")
    p.add_argument("phone", help="the client's number, e.g. +5511987654321 or (11) 98765-4321")
    p.add_argument("text")
    p.add_argument("--name", default="Cliente de teste", help="the client's WhatsApp name")
    p.set_defaults(func=lambda a: _text(config_path(a), a))
    p = ssub.add_parser("tap", parents=[common], help="a client taps a template button")
    p.add_argument("button", choices=BUTTONS)
    p.add_argument("appointment_id")
    p.set_defaults(func=lambda a: _tap(config_path(a), a))
    p = ssub.add_parser("status", parents=[common], help="Meta reports a message's statuses")
    p.add_argument("message_id")
    p.add_argument(
        "statuses", nargs="*", default=["sent", "delivered", "read"], help="default: all three"
    )
    p.set_defaults(func=lambda a: _status(config_path(a), a))


def _text(config: Path, args: argparse.Namespace) -> int:
    _refuse_real_sends(config, args)
    try:
        wa_id = wa_id_of(normalize_phone(args.phone))
    except PhoneError as exc:
        raise CliError(f"phone: {exc.en}") from exc
    change = wb.inbound_text(
        args.text, wa_id=wa_id, ts=int(time.time()), id=_wamid(), name=args.name
    )
    return _post(config, change, f"text from +{wa_id}")


def _tap(config: Path, args: argparse.Namespace) -> int:
    _refuse_real_sends(config, args)
    apt = OperatorClient.from_config(config).get(f"/appointments/{args.appointment_id}.json")
    templates = [m for m in apt["messages"] if m["kind"] in TEMPLATE_KINDS and m["wamid"]]
    context = templates[-1]["wamid"] if templates else None
    change = wb.inbound_button(
        f"{args.button}:{apt['id']}",
        BUTTON_LABELS[args.button],
        wa_id=apt["wa_id"],
        ts=int(time.time()),
        id=_wamid(),
        name=apt["client_name"],
        context_id=context,
    )
    return _post(config, change, f'tap on "{BUTTON_LABELS[args.button]}" for {apt["id"]}')


def _status(config: Path, args: argparse.Namespace) -> int:
    _refuse_real_sends(config, args)
    message = OperatorClient.from_config(config).get(f"/messages/{args.message_id}.json")
    m = message["message"]
    if not m.get("wamid"):
        raise CliError(f"message {args.message_id} has not gone out yet (no wamid to report on)")
    base = int(time.time())
    code = 0
    for i, status in enumerate(args.statuses):
        change = wb.status(
            m["wamid"],
            status,
            ts=base + i,
            recipient=(m["to_number"] or "").lstrip("+"),
            callback_data=m["id"],
        )
        code = max(code, _post(config, change, f"status {status} of {m['id']}"))
    return code


def _refuse_real_sends(config: Path, args: argparse.Namespace) -> None:
    """A simulated client of a daemon that really sends gets real messages on that number
    (a button tap sends the voucher, a text may start a flow), from the studio's account."""
    if args.force:
        return
    mode = _running_mode(config)
    if mode != "enabled":
        return
    raise CliError(
        'simulate: whatsapp.mode is "enabled", so the daemon answers a simulated client with '
        "real WhatsApp sends to that number (and this body would be signed with the real app "
        'secret); refused. Use mode = "dry_run" for demos, or add --force when '
        "whatsapp.graph_base_url points at a stand-in such as recado.testing.graph_double"
    )


def _running_mode(config: Path) -> str:
    """``enabled`` when the running daemon or the config file (which a restart applies) says
    so; otherwise the running daemon's mode, or the file's when none runs."""
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise CliError(f"cannot use {config}:\n" + "\n".join(exc.problems)) from exc
    try:
        board = OperatorClient.from_config(config).get("/dashboard.json")
        running = board["whatsapp"]["mode"]
    except (CliError, KeyError, TypeError):
        return cfg.whatsapp.mode
    return "enabled" if "enabled" in (running, cfg.whatsapp.mode) else str(running)


def _wamid() -> str:
    return f"wamid.SIM{secrets.token_hex(12).upper()}"


def _post(config: Path, change: dict[str, Any], what: str) -> int:
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise CliError(f"cannot use {config}:\n" + "\n".join(exc.problems)) from exc
    runtime = read_runtime(cfg.daemon.data_path)
    url = (runtime or {}).get("public") or f"http://{cfg.http.public_listen}"
    body = wb.envelope([change])
    if cfg.whatsapp.app_secret:
        raw, headers = wb.signed(body, cfg.whatsapp.app_secret)
    else:
        raw, headers = wb.encode(body), {"Content-Type": "application/json"}
    try:
        response = httpx.post(f"{url}/webhooks/whatsapp", content=raw, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        raise CliError(
            f"cannot reach the daemon at {url} ({exc}); is `recado run` running?"
        ) from exc
    if response.status_code != 200:
        raise CliError(f"the daemon refused the {what}: {response.status_code} {response.text}")
    print(f"posted {what}: the daemon accepted it (HTTP 200)")
    return 0
