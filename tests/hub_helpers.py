"""A daemon wired to service doubles on loopback, for the hub tests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.clock import Clock
from recado.runtime.context import Daemon
from recado.testing.service_double import ServiceDouble
from tests.conftest import running_daemon
from tests.webhook_helpers import query


@dataclass
class Hub:
    daemon: Daemon
    services: dict[str, ServiceDouble]
    client: httpx.AsyncClient

    @property
    def operator(self) -> str:
        url = self.daemon.listeners["operator"].url
        assert url is not None
        return url

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.daemon.api_key}

    async def event(self, eid: str, etype: str = "lead.created", **data: Any) -> httpx.Response:
        body = {
            "id": eid,
            "type": etype,
            "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "data": {"id": eid, **data},
        }
        url = f"{self.daemon.listeners['public'].url}/api/v1/events"
        response = await self.client.post(url, json=body, headers=self.headers)
        assert response.status_code == 202, response.text
        return response

    async def get(self, path: str) -> Any:
        response = await self.client.get(
            f"{self.operator}{path}", headers={"Accept": "application/json"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str) -> httpx.Response:
        return await self.client.post(f"{self.operator}{path}", headers=self.headers)

    def deliveries(self, where: str = "1") -> list[dict[str, Any]]:
        return query(
            self.daemon,
            f"SELECT id, event_id, action, service, state, attempts, last_error "
            f"FROM deliveries WHERE {where} ORDER BY id",
        )

    async def until(self, sql: str, expected: Any, tries: int = 200) -> None:
        for _ in range(tries):
            if query(self.daemon, sql) == expected:
                return
            await real_pause(0.05)
        assert query(self.daemon, sql) == expected


async def real_pause(seconds: float = 0.3) -> None:
    """Let real work (HTTP, the storage thread) happen while virtual time stands still."""
    await trio.to_thread.run_sync(time.sleep, seconds)


def services_toml(
    services: dict[str, ServiceDouble],
    *,
    threshold: int = 100,
    open_s: float = 60,
    max_attempts: int = 5,
    timeout_s: float = 5,
) -> str:
    return "".join(
        f'[[services]]\nname = "{name}"\nbase_url = "{double.url}"\n'
        f'auth_header = "X-Token"\nauth_value_file = "{name}.token"\n'
        f"timeout_s = {timeout_s}\nmax_attempts = {max_attempts}\n"
        f"breaker = {{ failure_threshold = {threshold}, open_s = {open_s} }}\n"
        for name, double in services.items()
    )


@asynccontextmanager
async def hub_stack(
    directory: Path,
    names: tuple[str, ...] = ("crm", "ops", "finance"),
    extra: str = "",
    *,
    clock: Clock | None = None,
    doubles: dict[str, ServiceDouble] | None = None,
    whatsapp: str = "",
    **service_options: Any,
) -> AsyncIterator[Hub]:
    directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (test setup, instant)
    services = doubles or {name: ServiceDouble(name) for name in names}
    async with trio.open_nursery() as nursery:
        for name, double in services.items():
            await nursery.start(double.serve)
            (directory / f"{name}.token").write_text(f"secret-{name}")
        # Keys of [whatsapp] first: the config writer appends everything under it.
        toml = whatsapp + services_toml(services, **service_options) + extra
        async with (
            running_daemon(directory, toml, test_hooks=False, clock=clock) as daemon,
            # No keep-alive: a connection idle across a jump of the mock clock past hypercorn's
            # keep-alive timeout is left half closed and the next request on it hangs.
            httpx.AsyncClient(timeout=30, headers={"Connection": "close"}) as client,
        ):
            yield Hub(daemon, services, client)
            restarts = {n: a.restarts for n, a in daemon.supervisor.actors.items() if a.restarts}
            assert restarts == {}, restarts
        nursery.cancel_scope.cancel()
