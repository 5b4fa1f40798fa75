"""The daemon in-process: both listeners, probes, dashboard, backup, actor supervision."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import trio

from recado.daemon.main import ActorSpec
from recado.runtime.context import Daemon
from tests.conftest import running_daemon
from tests.webhook_helpers import query


async def test_both_listeners_answer_probes(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        for name in ("public", "operator"):
            url = daemon.listeners[name].url
            health = await client.get(f"{url}/healthz")
            assert health.json() == {"status": "ok", "listener": name}
            ready = await client.get(f"{url}/readyz")
            assert ready.status_code == 200
            assert ready.json() == {"ready": True, "reasons": []}


async def test_operator_routes_are_not_on_the_public_listener(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        public = daemon.listeners["public"].url
        response = await client.get(f"{public}/dashboard.json")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert (await client.post(f"{public}/_test/write", json={"key": "x"})).status_code == 404


async def test_the_product_has_no_test_routes(daemon_dir: Path) -> None:
    """Started as ``recado run`` starts it, neither listener writes for tests, with or without
    the API key, and no table of theirs appears in the database."""
    async with (
        running_daemon(daemon_dir, test_hooks=False) as daemon,
        httpx.AsyncClient() as client,
    ):
        for name in ("public", "operator"):
            url = daemon.listeners[name].url
            for headers in ({}, {"X-API-Key": daemon.api_key}):
                answer = await client.post(f"{url}/_test/write", json={"key": "x"}, headers=headers)
                assert answer.status_code == 404, (name, answer.text)
        tables = query(daemon, "SELECT name FROM sqlite_master WHERE name = 'test_acks'")
        assert tables == []


async def test_dashboard_shows_actors(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        url = daemon.listeners["operator"].url
        data = (await client.get(f"{url}/dashboard.json")).json()
        assert set(data["actors"]) >= {"storage", "http_public", "http_operator"}
        assert data["actors"]["storage"] == {"state": "running", "restarts": 0, "last_error": None}
        assert data["whatsapp"]["mode"] == "dry_run"
        # Same data through content negotiation, and a page for people.
        negotiated = await client.get(f"{url}/dashboard", headers={"Accept": "application/json"})
        assert negotiated.json()["actors"] == data["actors"]
        page = await client.get(f"{url}/dashboard")
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["link"] == '</dashboard.json>; rel="alternate"'
        assert "Painel" in page.text


async def test_failing_actor_is_restarted_and_shown(daemon_dir: Path) -> None:
    attempts = 0
    steady = trio.Event()

    async def flaky(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        nonlocal attempts
        task_status.started()
        attempts += 1
        if attempts <= 3:
            raise RuntimeError("simulated failure")
        steady.set()
        await trio.sleep_forever()

    def extra(daemon: Daemon) -> list[ActorSpec]:
        return [ActorSpec("flaky", flaky)]

    async with running_daemon(daemon_dir, extra_actors=extra) as daemon:
        with trio.fail_after(10):
            await steady.wait()
        async with httpx.AsyncClient() as client:
            url = daemon.listeners["operator"].url
            actors = (await client.get(f"{url}/dashboard.json")).json()["actors"]
        assert actors["flaky"]["restarts"] == 3
        assert actors["flaky"]["last_error"] == "RuntimeError: simulated failure"


async def test_backup_needs_the_api_key_and_is_verified(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        url = daemon.listeners["operator"].url
        dest = daemon_dir / "backups" / "one.db"
        refused = await client.post(f"{url}/backup", json={"path": str(dest)})
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "unauthorized",
            "detail": "missing or wrong X-API-Key header",
        }
        headers = {"X-API-Key": daemon.api_key}
        done = await client.post(f"{url}/backup", json={"path": str(dest)}, headers=headers)
        assert done.status_code == 200, done.text
        assert done.json()["integrity_check"] == "ok"
        again = await client.post(f"{url}/backup", json={"path": str(dest)}, headers=headers)
        assert again.status_code == 409
        bad = await client.post(f"{url}/backup", content=b"nope", headers=headers)
        assert bad.status_code == 400
        audit = (await client.get(f"{url}/audit.json")).json()["items"]
        assert audit[0]["action"] == "backup"
        assert audit[0]["source_ip"] == "127.0.0.1"
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_generated_api_key_is_private(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon:
        key_file = daemon.data_dir / "api_key"
        assert key_file.read_text().strip() == daemon.api_key
        assert key_file.stat().st_mode & 0o777 == 0o600


async def test_unknown_route_and_method_give_json_errors(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        url = daemon.listeners["operator"].url
        missing = await client.get(f"{url}/nope")
        assert missing.status_code == 404
        assert set(missing.json()) == {"error", "detail"}
        wrong = await client.delete(f"{url}/dashboard")
        assert wrong.status_code == 405
        assert wrong.json()["error"] == "method_not_allowed"
