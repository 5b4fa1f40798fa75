"""A daemon set up for Embedded Signup against the Graph double, and the API calls a page
makes (here with the API key, as a script would)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.clock import Clock
from recado.runtime.context import Daemon
from recado.testing.graph_double import GraphDouble
from recado.testing.signup_double import NEW_NUMBER, Account
from tests.conftest import running_daemon
from tests.webhook_helpers import APP_SECRET, write_secrets

APP_ID = "1234567890"
CONFIG_ID = "777000111"
FALLBACK_TOKEN = "graph-token-from-the-file"


def signup_toml(double: GraphDouble, extra: str = "") -> str:
    return (
        'app_secret_file = "app_secret"\nverify_token_file = "verify_token"\n'
        f'app_id = "{APP_ID}"\nes_config_id = "{CONFIG_ID}"\n'
        "embedded_signup_enabled = true\n"
        f'graph_base_url = "{double.url}"\nsdk_url = "{double.url}/sdk.js"\n'
        f'signup_origin = "{double.url}"\n'
        "retry_base_s = 0.05\nretry_cap_s = 0.2\nmessages_per_second = 0\n" + extra
    )


def signup_double() -> GraphDouble:
    double = GraphDouble(token=FALLBACK_TOKEN, app_secret=APP_SECRET)
    double.signup.app_id = APP_ID
    double.signup.app_secret = APP_SECRET
    return double


@asynccontextmanager
async def signup_stack(
    directory: Path,
    extra: str = "",
    *,
    mode: str = "enabled",
    clock: Clock | None = None,
    double: GraphDouble | None = None,
) -> AsyncIterator[tuple[Daemon, GraphDouble, httpx.AsyncClient]]:
    write_secrets(directory)
    double = double or signup_double()
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        async with (
            running_daemon(
                directory, signup_toml(double, extra), mode=mode, test_hooks=False, clock=clock
            ) as daemon,
            # No keep-alive: a test that jumps a mock clock would find hypercorn's idle
            # timers of a kept connection fired and the connection gone.
            httpx.AsyncClient(
                timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
            ) as client,
        ):
            double.webhook_url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
            yield daemon, double, client
            restarts = {n: a.restarts for n, a in daemon.supervisor.actors.items() if a.restarts}
            assert restarts == {}, restarts
        nursery.cancel_scope.cancel()


def op(daemon: Daemon, path: str) -> str:
    return f"{daemon.listeners['operator'].url}{path}"


def key(daemon: Daemon) -> dict[str, str]:
    return {"X-API-Key": daemon.api_key}


async def start(daemon: Daemon, client: httpx.AsyncClient) -> str:
    answer = await client.post(
        op(daemon, "/api/v1/whatsapp/embedded-signup/start"), headers=key(daemon)
    )
    assert answer.status_code == 200, answer.text
    state: str = answer.json()["state"]
    return state


async def callback(
    daemon: Daemon, client: httpx.AsyncClient, code: str, state: str, **hints: Any
) -> httpx.Response:
    return await client.post(
        op(daemon, "/api/v1/whatsapp/embedded-signup/callback"),
        json={"code": code, "state": state, **hints},
        headers=key(daemon),
    )


async def status(daemon: Daemon, client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get(op(daemon, "/api/v1/whatsapp/connection/status"))
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    return data


async def real_pause(seconds: float = 0.05) -> None:
    """Let real work happen (HTTP, the storage thread) even while a mock clock stands still."""
    await trio.to_thread.run_sync(time.sleep, seconds)


async def until(check: Callable[[], Any], what: str, tries: int = 200) -> Any:
    for _ in range(tries):
        value = check()
        if value:
            return value
        await real_pause()
    raise AssertionError(f"never happened: {what}")


async def connect(
    daemon: Daemon,
    double: GraphDouble,
    client: httpx.AsyncClient,
    account: Account = NEW_NUMBER,
) -> dict[str, Any]:
    """A complete signup of ``account``; the callback's answer."""
    state = await start(daemon, client)
    code = double.signup.issue_code(account)
    hints: dict[str, Any] = {"waba_id": account.waba_id}
    if account.coexistence:
        hints["finish_event"] = "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING"
    else:
        hints["phone_number_id"] = account.phone_number_id
    answer = await callback(daemon, client, code, state, **hints)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body
