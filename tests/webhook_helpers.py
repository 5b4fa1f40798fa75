"""Shared setup for webhook tests: a daemon with an app secret and a verify token."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from recado.actors.webhook_processor import WebhookProcessor
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from tests.conftest import running_daemon

APP_SECRET = "test-app-secret-0123456789"
VERIFY_TOKEN = "test-verify-token-abcdef"
WEBHOOK_TOML = 'app_secret_file = "app_secret"\nverify_token_file = "verify_token"\n'


def write_secrets(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app_secret").write_text(APP_SECRET + "\n")
    (directory / "verify_token").write_text(VERIFY_TOKEN + "\n")


@asynccontextmanager
async def webhook_daemon(directory: Path) -> AsyncIterator[tuple[Daemon, httpx.AsyncClient]]:
    write_secrets(directory)
    async with running_daemon(directory, WEBHOOK_TOML) as daemon, httpx.AsyncClient() as client:
        yield daemon, client


async def post_body(
    daemon: Daemon, client: httpx.AsyncClient, body: dict[str, Any]
) -> httpx.Response:
    raw, headers = wb.signed(body, APP_SECRET)
    return await client.post(
        f"{daemon.listeners['public'].url}/webhooks/whatsapp", content=raw, headers=headers
    )


async def deliver(daemon: Daemon, client: httpx.AsyncClient, *changes: dict[str, Any]) -> None:
    """Post changes as one signed body and wait until the processor has applied it."""
    response = await post_body(daemon, client, wb.envelope(list(changes)))
    assert response.status_code == 200, response.text
    await daemon.commands.webhooks.drain()


def processor(daemon: Daemon) -> WebhookProcessor:
    """The webhook processor behind the daemon's commands (tests hold its lock)."""
    found = daemon.commands.webhooks
    assert isinstance(found, WebhookProcessor)
    return found


def query(daemon: Daemon, sql: str, *args: Any) -> list[dict[str, Any]]:
    with sqlite3.connect(daemon.storage.path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args).fetchall()]


def dump_tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT IN ('audit_log') ORDER BY name"
            )
        ]
        return {n: conn.execute(f"SELECT * FROM {n} ORDER BY 1").fetchall() for n in names}
