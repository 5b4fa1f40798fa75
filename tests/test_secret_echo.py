"""Peers that echo our credentials back: the Graph API (or a proxy before it) repeating the
bearer token, services repeating their auth header. Nothing they say may carry a secret into
the database, the operator pages or a backup."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from recado import redaction
from recado.http.operator_app import create_operator_app
from recado.runtime.context import Daemon
from recado.testing.graph_double import GraphDouble
from recado.testing.service_double import ServiceDouble
from tests.conftest import running_daemon
from tests.webhook_helpers import APP_SECRET, VERIFY_TOKEN, query, write_secrets

TOKEN = "EAAG-graph-token-echoed-4711/xyz+="
# No two share a 10-character piece, so a leak names the one that leaked.
CREDENTIALS = {
    "crm": "crm-7c1f9a0d3e",
    "ops": "Basic b3BzOnMzY3IzdA==",
    "src": "src-52be0d81aa",
    "sink": "snk-e93a44c2f0",
}
SECRETS = [TOKEN, APP_SECRET, VERIFY_TOKEN, *CREDENTIALS.values()]


@dataclass
class Stack:
    daemon: Daemon
    graph: GraphDouble
    services: dict[str, ServiceDouble]
    client: httpx.AsyncClient

    @property
    def operator(self) -> str:
        return str(self.daemon.listeners["operator"].url)

    async def post_event(self, body: dict[str, Any]) -> None:
        response = await self.client.post(
            f"{self.daemon.listeners['public'].url}/api/v1/events",
            json=body,
            headers={"X-API-Key": self.daemon.api_key},
        )
        assert response.status_code == 202, response.text

    async def book(self, apt: str) -> None:
        # A phone of its own per appointment: sends to one client are paced seconds apart.
        phone = f"+55119876543{apt[-1]}0"
        starts = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
        await self.post_event(
            {
                "id": f"evt-{apt}",
                "type": "appointment.created",
                "occurred_at": "2026-11-24T10:00:00-03:00",
                "data": {
                    "appointment_id": apt,
                    "client": {"name": "Ana Souza", "phone": phone},
                    "service": "Corte",
                    "starts_at": starts,
                },
            }
        )

    async def until(self, sql: str, expected: Any) -> None:
        with trio.fail_after(15):
            for _ in range(1000):
                if query(self.daemon, sql) == expected:
                    return
                await trio.sleep(0.02)
        raise AssertionError(query(self.daemon, sql))


def _toml(graph: GraphDouble, services: dict[str, ServiceDouble]) -> str:
    text = (
        'app_secret_file = "app_secret"\nverify_token_file = "verify_token"\n'
        'access_token_file = "token"\nphone_number_id = "106540352242922"\n'
        f'graph_base_url = "{graph.url}"\nretry_base_s = 0.05\nretry_cap_s = 0.2\n'
        "messages_per_second = 0\n"
    )
    for name, double in services.items():
        header = "Authorization" if name == "ops" else "X-Token"
        text += (
            f'[[services]]\nname = "{name}"\nbase_url = "{double.url}"\n'
            f'auth_header = "{header}"\nauth_value_file = "{name}.cred"\nmax_attempts = 3\n'
        )
    return text + (
        '[[flows]]\nevent = "lead.created"\n'
        'actions = ["http:crm:POST:/leads", "http:ops:POST:/tasks"]\n'
        '[[sync]]\nname = "nightly"\nschedule = "0 3 * * *"\n'
        'source = "src:GET:/items?since={cursor}"\ntarget = "sink:POST:/items"\n'
    )


@asynccontextmanager
async def echo_stack(directory: Path) -> AsyncIterator[Stack]:
    write_secrets(directory)
    (directory / "token").write_text(TOKEN)
    for name, value in CREDENTIALS.items():
        (directory / f"{name}.cred").write_text(value + "\n")
    graph = GraphDouble(token=TOKEN, app_secret=APP_SECRET)
    services = {name: ServiceDouble(name) for name in CREDENTIALS}
    async with trio.open_nursery() as nursery:
        for double in (graph, *services.values()):
            await nursery.start(double.serve)
        async with (
            running_daemon(
                directory, _toml(graph, services), mode="enabled", test_hooks=False
            ) as daemon,
            httpx.AsyncClient(timeout=30) as client,
        ):
            yield Stack(daemon, graph, services, client)
        nursery.cancel_scope.cancel()


async def _operator_pages(stack: Stack) -> list[str]:
    """Every GET route of the operator app, with each id the database holds filled in."""
    values = {
        "delivery_id": "SELECT id AS v FROM deliveries",
        "event_id": "SELECT id AS v FROM events",
        "message_id": "SELECT id AS v FROM messages",
        # The ledger is the customer's: its page is found by the customer's number.
        "wa_id": "SELECT COALESCE(c.wa_id, substr(c.phone, 2)) AS v FROM conversations l "
        "JOIN customers c ON c.id = l.customer_id WHERE c.phone IS NOT NULL OR c.wa_id IS NOT NULL",
        "appointment_id": "SELECT id AS v FROM appointments",
        "incident_id": "SELECT id AS v FROM incidents",
    }
    app = create_operator_app(stack.daemon)
    paths: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith("/static"):
            continue
        if not rule.arguments:
            paths.append(rule.rule)
            continue
        (name,) = rule.arguments
        found = [str(r["v"]) for r in query(stack.daemon, values[name])]
        assert found, f"nothing to show at {rule.rule}"
        paths += [rule.build({name: v}, append_unknown=False)[1] for v in found]
    return [*paths, "/dlq?state=archived", "/audit?limit=500"]


def _leaks(data: bytes) -> list[str]:
    """The secrets ``data`` holds, whole or any 10-character piece of one, in any case."""
    found = []
    data = data.lower()
    for secret in SECRETS:
        raw = secret.lower().encode()
        pieces = {raw[i : i + 10] for i in range(len(raw) - 9)}
        if any(piece in data for piece in pieces):
            found.append(secret)
    return found


async def test_echoed_secrets_reach_no_table_page_or_backup(daemon_dir: Path) -> None:
    async with echo_stack(daemon_dir) as stack:
        graph, services = stack.graph, stack.services
        # The token echoed beside a wamid, in a Graph error, and by a proxy without one.
        graph.echo_auth_next(1, http_status=200)
        await stack.book("apt-1")
        await stack.until(
            "SELECT state FROM messages WHERE appointment_id = 'apt-1' AND kind = "
            "'appointment_created'",
            [{"state": "sent"}],
        )
        graph.echo_auth_next(1, http_status=400, code=100)
        await stack.book("apt-2")
        graph.echo_auth_next(1, http_status=502, code=0)
        await stack.book("apt-3")
        await stack.until(
            "SELECT appointment_id, state FROM messages WHERE kind = 'appointment_created' "
            "AND appointment_id IN ('apt-2', 'apt-3') ORDER BY appointment_id",
            [
                {"appointment_id": "apt-2", "state": "failed"},
                {"appointment_id": "apt-3", "state": "sent"},
            ],
        )
        # Last: an auth error pauses sending and raises an alert.
        graph.echo_auth_next(1, http_status=401, code=190)
        await stack.book("apt-4")
        await stack.until(
            "SELECT code FROM alerts WHERE code = 'whatsapp_auth'", [{"code": "whatsapp_auth"}]
        )

        # Services echo their credential: a dead delivery, one waiting to retry, and a sync
        # source whose item ids are the credential, posted to a target that refuses them.
        services["crm"].echo(422)
        services["ops"].echo(503, header="Authorization")
        services["src"].echo(200, header="X-Token")
        services["sink"].fail(500)
        await stack.post_event(
            {
                "id": "lead-1",
                "type": "lead.created",
                "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "data": {"id": "lead-1", "name": "Bia"},
            }
        )
        run = await stack.client.post(
            f"{stack.operator}/sync/nightly/run", headers={"X-API-Key": stack.daemon.api_key}
        )
        assert run.status_code == 202, run.text
        await stack.until(
            "SELECT service, state FROM deliveries ORDER BY service",
            [{"service": "crm", "state": "dead"}, {"service": "ops", "state": "retrying"}],
        )
        await stack.until("SELECT status FROM sync_runs", [{"status": "failed"}])

        # The echoes did arrive, and what was kept of them says so.
        attempts = query(stack.daemon, "SELECT answer_json FROM message_attempts")
        assert sum("[redacted]" in (a["answer_json"] or "") for a in attempts) >= 3
        reasons = query(stack.daemon, "SELECT reason_json FROM messages WHERE state = 'failed'")
        assert any("[redacted]" in r["reason_json"] for r in reasons)
        errors = query(stack.daemon, "SELECT last_error FROM deliveries ORDER BY service")
        assert all("[redacted]" in e["last_error"] for e in errors), errors
        run_error = query(stack.daemon, "SELECT error FROM sync_runs")[0]["error"]
        assert "[redacted]" in run_error

        # An incident, for its page to be read too (with the diagnosis of this daemon).
        opened = await stack.client.post(
            f"{stack.operator}/incidents",
            json={"severity": "sev1", "title": "Token recusado"},
            headers={"X-API-Key": stack.daemon.api_key},
        )
        assert opened.status_code == 201, opened.text
        leaks: dict[str, list[str]] = {}
        for path in await _operator_pages(stack):
            for accept in ("text/html", "application/json"):
                page = await stack.client.get(f"{stack.operator}{path}", headers={"Accept": accept})
                assert page.status_code < 500, (path, page.status_code)
                if found := _leaks(page.content):
                    leaks[f"{path} ({accept})"] = found

        backup = stack.daemon.data_dir / "echo-backup.db"
        cli = await trio.run_process(
            [
                sys.executable,
                "-m",
                "recado",
                "backup",
                str(backup),
                "--config",
                str(stack.daemon.config_path),
            ],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
        assert cli.returncode == 0, cli.stderr
        for name in ("recado.db", "recado.db-wal", "echo-backup.db"):
            path = stack.daemon.data_dir / name
            if found := _leaks(path.read_bytes()):
                leaks[name] = found
        assert (stack.daemon.data_dir / "recado.db-wal").stat().st_size > 0
        assert leaks == {}


# -- the matcher itself ---------------------------------------------------------------------


@pytest.fixture
def secret() -> Iterator[str]:
    value = 'tok/en+with"odd\\chars-é'
    redaction.set_secrets([value])
    yield value
    redaction.set_secrets([])


def test_every_form_of_a_secret_is_hidden(secret: str) -> None:
    import json
    from urllib.parse import quote, quote_plus

    for form in (
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        quote(secret, safe=""),
        quote_plus(secret),
    ):
        assert redaction.redact(f"a {form} b") == "a [redacted] b", form
        assert redaction.redact_bytes(f"a {form} b".encode()) == b"a [redacted] b", form
    # Next to a byte that is not UTF-8, and decoded from JSON escapes of its own letters.
    assert redaction.redact_bytes(b"\xff" + secret.encode()) == b"\xff[redacted]"
    spelled = json.loads(json.dumps({"x": [secret]}))
    assert redaction.redact_json({secret: spelled}) == {"[redacted]": {"x": ["[redacted]"]}}


def test_redact_json_takes_any_depth(secret: str) -> None:
    deep: Any = secret
    for _ in range(10_000):
        deep = [deep]
    out = redaction.redact_json(deep)
    for _ in range(10_000):
        out = out[0]
    assert out == "[redacted]"


@given(
    st.text(min_size=6, max_size=40).filter(lambda s: s.strip() == s and "\0" not in s),
    st.text(max_size=40),
)
def test_no_configured_secret_survives_redaction(value: str, around: str) -> None:
    redaction.set_secrets([value])
    try:
        text = around + value + around
        # The marker itself could spell a secret with what surrounds it ("[r" + "edacted]").
        marker = "\0"
        assert value not in redaction.redact(text).replace(redaction.REDACTED, marker)
        hidden = redaction.redact_bytes(text.encode()).replace(b"[redacted]", marker.encode())
        assert value.encode() not in hidden
    finally:
        redaction.set_secrets([])
