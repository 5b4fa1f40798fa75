"""The Embedded Signup callback's latency with the Graph double answering every call late.

The daemon runs as a child process (``dry_run``); the Graph double runs in this process and
answers each Graph call after ``--delay`` seconds (300 ms by default, as the issue asks).
Each signup is: ``start`` (the one-time state), then the callback, timed from the request to
its answer; the callback exchanges the code, checks the token, lists the WABA's numbers,
subscribes the app, then (a new number) registers it, (coexistence) skips that, or (with an
override) also sets the callback override. Every signup is a new account, so Meta's limit of
10 registrations per number never applies.

Reported per kind: p50, p95 and max, the floor (Graph calls × delay) and p95 minus the
floor (recado's own time). Target (CONTRACT §9): p95 < 3 s.

Usage: .venv/bin/python bench/signup_callback.py [--signups 40] [--delay 0.3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble
from recado.testing.signup_double import Account

APP_ID = "1234567890"
APP_SECRET = "bench-app-secret-0123456789"
VERIFY_TOKEN = "bench-verify-token"
CALLS = {"new number": 5, "coexistence": 4, "new number + override": 6}


def _config(directory: Path, double: GraphDouble, override: bool) -> Path:
    (directory / "app_secret").write_text(APP_SECRET + "\n")
    (directory / "verify_token").write_text(VERIFY_TOKEN + "\n")
    extra = (
        'app_secret_file = "app_secret"\nverify_token_file = "verify_token"\n'
        f'app_id = "{APP_ID}"\nes_config_id = "1"\nembedded_signup_enabled = true\n'
        f'graph_base_url = "{double.url}"\n'
    )
    if override:
        extra += 'override_callback_uri = "https://studio.example/webhooks/whatsapp"\n'
    return write_config(directory, extra)


def _account(i: int, coexistence: bool) -> Account:
    return Account(
        waba_id=f"52{i:013d}",
        phone_number_id=f"10{i:013d}",
        display_phone_number=f"+55 11 9{i:04d}-{i:04d}",
        verified_name=f"Estúdio {i}",
        coexistence=coexistence,
    )


async def _signups(
    double: GraphDouble, process: DaemonProcess, kind: str, n: int, base: int
) -> list[float]:
    key = (process.data_dir / "api_key").read_text().strip()
    headers = {"X-API-Key": key}
    op = process.operator_url
    coexistence = kind == "coexistence"
    times = []
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(n):
            account = _account(base + i, coexistence)
            start = await client.post(
                f"{op}/api/v1/whatsapp/embedded-signup/start", headers=headers
            )
            assert start.status_code == 200, start.text
            body = {
                "code": double.signup.issue_code(account),
                "state": start.json()["state"],
                "waba_id": account.waba_id,
            }
            if coexistence:
                body["finish_event"] = "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING"
            else:
                body["phone_number_id"] = account.phone_number_id
            t0 = time.perf_counter()
            answer = await client.post(
                f"{op}/api/v1/whatsapp/embedded-signup/callback", json=body, headers=headers
            )
            times.append(time.perf_counter() - t0)
            assert answer.status_code == 200, answer.text
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(n: int, delay: float) -> None:
    print(f"{n} signups per kind, every Graph call answered after {delay * 1000:.0f} ms\n")
    print("| kind | Graph calls | floor | p50 | p95 | max | p95 − floor |")
    print("|---|---|---|---|---|---|---|")
    base = 1
    for kind, calls in CALLS.items():
        directory = Path(tempfile.mkdtemp(prefix="recado-bench-signup-"))
        double = GraphDouble()
        double.signup.app_id, double.signup.app_secret = APP_ID, APP_SECRET
        double.signup.delay_s = delay
        try:
            async with trio.open_nursery() as nursery:
                await nursery.start(double.serve)
                config = _config(directory, double, override="override" in kind)
                process = await trio.to_thread.run_sync(
                    lambda config=config: DaemonProcess(config, test_hooks=False).start()
                )
                try:
                    times = await _signups(double, process, kind, n, base)
                finally:
                    await trio.to_thread.run_sync(process.terminate)
                nursery.cancel_scope.cancel()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        base += n
        floor = calls * delay
        p95 = _p(times, 0.95)
        print(
            f"| {kind} | {calls} | {floor:.2f} s | {statistics.median(times):.2f} s "
            f"| {p95:.2f} s | {max(times):.2f} s | {(p95 - floor) * 1000:.0f} ms |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.3)
    args = parser.parse_args()
    trio.run(run, args.signups, args.delay)


if __name__ == "__main__":
    main()
