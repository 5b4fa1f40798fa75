"""Shared setup for template tests: the real daemon beside a Graph double that lists the
WABA's templates, with the sender's token and a WABA id configured."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import trio

from recado.clock import Clock
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from recado.testing.graph_double import GraphDouble
from recado.testing.graph_templates import TemplateSpec
from tests.conftest import running_daemon
from tests.hub_helpers import real_pause
from tests.reasons import reason_in
from tests.test_sender import TOKEN, _toml
from tests.webhook_helpers import APP_SECRET, query, write_secrets

WABA = wb.WABA_ID


@dataclass
class Stack:
    daemon: Daemon
    double: GraphDouble
    client: httpx.AsyncClient

    @property
    def operator(self) -> str:
        return self.daemon.listeners["operator"].url

    async def get(self, path: str) -> Any:
        response = await self.client.get(
            self.operator + path, headers={"X-API-Key": self.daemon.api_key}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str) -> httpx.Response:
        return await self.client.post(
            self.operator + path, json={}, headers={"X-API-Key": self.daemon.api_key}
        )

    def listings(self) -> list[Any]:
        return [r for r in self.double.requests if r.path.endswith("/message_templates")]

    async def synced(self, n: int = 1) -> None:
        """Wait (bounded, in real time: a test may stand trio's clock still) until ``n``
        syncs are recorded."""
        for _ in range(400):
            if len(query(self.daemon, "SELECT id FROM wa_template_syncs")) >= n:
                return
            await real_pause(0.025)
        raise AssertionError(f"fewer than {n} template syncs recorded")


@asynccontextmanager
async def template_stack(
    directory: Path,
    templates: dict[str, TemplateSpec] | None = None,
    *,
    extra: str = "",
    mode: str = "enabled",
    clock: Clock | None = None,
    waba: str = WABA,
) -> AsyncIterator[Stack]:
    write_secrets(directory)
    (directory / "token").write_text(TOKEN)
    double = GraphDouble(token=TOKEN, app_secret=APP_SECRET)
    if templates is not None:
        double.templates = templates
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        toml = _toml(double, (f'waba_id = "{waba}"\n' if waba else "") + extra)
        async with (
            running_daemon(directory, toml, mode=mode, test_hooks=False, clock=clock) as daemon,
            httpx.AsyncClient() as client,
        ):
            double.webhook_url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
            yield Stack(daemon, double, client)
            restarts = {n: a.restarts for n, a in daemon.supervisor.actors.items() if a.restarts}
            assert restarts == {}, restarts
        nursery.cancel_scope.cancel()


def stored(daemon: Daemon, name: str) -> dict[str, Any]:
    (row,) = query(daemon, "SELECT * FROM wa_templates WHERE name = ?", name)
    return row


def reason_of(daemon: Daemon, kind: str = "appointment_created") -> dict[str, Any]:
    """The message's stored reason (its code and parameters) and its sentences, read as the
    pages read them."""
    sql = "SELECT state, reason_code, reason_json FROM messages WHERE kind = ?"
    (row,) = query(daemon, sql, kind)
    stored = json.loads(row["reason_json"] or "{}")
    return {
        "state": row["state"],
        "code": row["reason_code"],
        **stored,
        "pt-BR": reason_in(row["reason_json"], "pt-BR"),
        "en": reason_in(row["reason_json"], "en"),
    }
