"""Every value from outside is bounded where it enters, on both listeners: a bad one is a 4xx
with the JSON error shape naming it, never a 500 (issue 10, item 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from recado.runtime.context import Daemon
from recado.whatsapp.signature import sign
from tests.conftest import running_daemon
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, query, write_secrets

# Integers that are not ASCII digits, or do not fit SQLite's 64 bits, or are off bounds.
BAD_INTS = ["²", "١٢", "５", "-1", "0", "1e3", " 5", "x", str(10**19), "9" * 40]
# Days outside the sane range, or not a day at all.
BAD_DAYS = ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01", "2026-02-30", "²"]
DEEP = b'{"a":' * 990 + b"1" + b"}" * 990

# (path, parameter) for every integer a query string carries.
INT_PARAMS = [
    ("/dlq.json", "page"),
    ("/dlq.json", "per_page"),
    ("/webhooks.json", "limit"),
    ("/webhooks.json", "before"),
    ("/messages.json", "limit"),
    ("/audit.json", "limit"),
]
DAY_PARAMS = [("/messages.json", "date"), ("/report/daily.json", "date")]


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text)
    body = response.json()
    assert body["error"] == code and isinstance(body["detail"], str), body
    return body


def _urls(daemon: Daemon) -> tuple[str, str]:
    public, operator = daemon.listeners["public"].url, daemon.listeners["operator"].url
    assert public and operator
    return public, operator


async def test_query_integers_and_days_are_bounded(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        _, op = _urls(daemon)
        for path, name in INT_PARAMS:
            for raw in BAD_INTS:
                answer = await client.get(f"{op}{path}", params={name: raw})
                body = _error(answer, 422, "invalid_field")
                assert body["field"] == name
                assert body["detail"].startswith(f"{name}: expected a whole number from 1 to ")
            assert (await client.get(f"{op}{path}", params={name: "1"})).status_code == 200
        for path, name in DAY_PARAMS:
            for raw in BAD_DAYS:
                answer = await client.get(f"{op}{path}", params={name: raw})
                assert _error(answer, 422, "invalid_field")["field"] == name
            ok = await client.get(f"{op}{path}", params={name: "2099-12-31"})
            assert ok.status_code == 200
        # The DLQ's offset must fit too: page × per_page beyond 64 bits.
        huge_page = await client.get(f"{op}/dlq.json", params={"page": str(2**62), "per_page": 50})
        assert _error(huge_page, 422, "invalid_field")["field"] == "page"
        cursor = await client.get(f"{op}/messages.json", params={"before": "zz"})
        assert _error(cursor, 422, "invalid_field")["field"] == "before"
        for wa_id in ("²", "١٢٣", "5" * 40):
            answer = await client.get(f"{op}/conversations/{wa_id}.json")
            _error(answer, 422, "invalid_field")


async def test_ids_in_paths_too_big_or_not_ascii_are_not_found(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        _, op = _urls(daemon)
        headers = {"X-API-Key": daemon.api_key}
        for raw in ("9" * 30, str(2**63), "١٢"):
            for method, path in (
                ("GET", f"/dlq/{raw}"),
                ("GET", f"/dlq/{raw}.json"),
                ("POST", f"/dlq/{raw}/retry"),
                ("POST", f"/dlq/{raw}/archive"),
            ):
                answer = await client.request(method, f"{op}{path}", headers=headers)
                body = _error(answer, 404, "not_found")
                assert body["detail"].startswith("no such page or record: /dlq/")
        # The largest 64-bit id is a real lookup that finds nothing.
        top = await client.get(f"{op}/dlq/{2**63 - 1}.json")
        assert _error(top, 404, "not_found")["detail"] == f"no delivery {2**63 - 1}"


async def test_operator_bodies_are_bounded(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        _, op = _urls(daemon)
        headers = {"X-API-Key": daemon.api_key}
        for path in ("/webhooks/replay", "/whatsapp/kill-switch", "/backup", "/_test/write"):
            answer = await client.post(f"{op}{path}", content=DEEP, headers=headers)
            _error(answer, 400, "too_deep")
        for body, field in (
            ({"since": "9999-12-31T23:00:00-03:00"}, "since"),
            ({"since": "0001-01-01T00:00:00+03:00"}, "since"),
            ({"since": "2026-11-24T10:00:00"}, "since"),
            ({"id": 10**30}, "id"),
            ({"id": True}, "id"),
        ):
            answer = await client.post(f"{op}/webhooks/replay", json=body, headers=headers)
            assert _error(answer, 422, "invalid_field")["field"] == field
        for path in ("a\u0000b", "x" * 5000, "/proc/no/such/dir/backup.db"):
            answer = await client.post(f"{op}/backup", json={"path": path}, headers=headers)
            assert answer.status_code == 422, answer.text
            assert answer.json()["field"] == "path"
        # Operator bodies have the same size bound as public ones.
        big = b'{"on": true, "pad": "' + b"x" * daemon.config.http.max_body_bytes + b'"}'
        answer = await client.post(f"{op}/whatsapp/kill-switch", content=big, headers=headers)
        _error(answer, 413, "request_entity_too_large")


async def test_deep_json_is_refused_on_events_and_signed_webhooks(daemon_dir: Path) -> None:
    write_secrets(daemon_dir)
    async with running_daemon(daemon_dir, WEBHOOK_TOML) as daemon, httpx.AsyncClient() as client:
        public, _ = _urls(daemon)
        for deep in (DEEP, b"[" * 990 + b"]" * 990, b"[" * 65 + b"]" * 65):
            event = await client.post(
                f"{public}/api/v1/events", content=deep, headers={"X-API-Key": daemon.api_key}
            )
            assert _error(event, 400, "too_deep")["field"] == "body"
            signed = {"X-Hub-Signature-256": sign(APP_SECRET, deep)}
            hook = await client.post(f"{public}/webhooks/whatsapp", content=deep, headers=signed)
            _error(hook, 400, "too_deep")
        # Kept for inspection like any other envelope error.
        rejects = query(daemon, "SELECT reason FROM webhook_rejects")
        assert [r["reason"] for r in rejects] == ["too_deep"] * 3
        # Unsigned, it is the signature that is wrong: nothing is stored.
        unsigned = await client.post(f"{public}/webhooks/whatsapp", content=DEEP)
        _error(unsigned, 401, "bad_signature")
        assert len(query(daemon, "SELECT reason FROM webhook_rejects")) == 3
        # 64 levels is still an event body (and a 422 for its content, not a 400).
        shallow = b'{"id":"e","type":"lead.created","occurred_at":"2026-11-24T10:00:00Z","data":'
        shallow += b'{"id":"1","x":' + b"[" * 62 + b"]" * 62 + b"}}"
        ok = await client.post(
            f"{public}/api/v1/events", content=shallow, headers={"X-API-Key": daemon.api_key}
        )
        assert ok.status_code == 202, ok.text


async def test_a_voucher_signature_in_any_text_is_a_bad_signature(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        public, _ = _urls(daemon)
        for sig in ("é", "%C3%A9", "\u2603" * 22, "%ED%A0%80", "%FF", "A" * 22):
            answer = await client.get(f"{public}/voucher/apt-1?sig={sig}")
            assert _error(answer, 404, "not_found")["detail"] == "no such voucher"


async def test_a_refusal_before_the_body_is_read_still_answers(daemon_dir: Path) -> None:
    """On a keep-alive connection, an answer given before the body was read never reached
    the client (it timed out instead of getting its 401)."""
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient(timeout=5) as client:
        public, op = _urls(daemon)
        too_big = daemon.config.http.max_body_bytes + 1
        for url in (f"{public}/api/v1/events", f"{op}/dlq/1/retry", f"{op}/backup"):
            for size in (10, 100_000, 10, too_big, 10):
                answer = await client.post(url, content=b"x" * size)
                _error(answer, 401, "unauthorized")


async def test_an_unknown_key_in_an_operator_body_is_refused_and_does_nothing(
    daemon_dir: Path,
) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        _, op = _urls(daemon)
        headers = {"X-API-Key": daemon.api_key}
        dest = daemon_dir / "unknown-key.db"
        # Each action with a JSON body: a good body plus a stray key, and a misspelt key
        # alone (a replay of {"sinse": ...} would otherwise replay everything).
        cases = [
            ("/webhooks/replay", {"x": 1}, "x"),
            ("/webhooks/replay", {"sinse": "2026-11-24T10:00:00-03:00"}, "sinse"),
            ("/webhooks/replay", {"id": 1, "ID": 2}, "ID"),
            ("/whatsapp/kill-switch", {"on": True, "forever": True}, "forever"),
            ("/whatsapp/kill-switch", {"On": True}, "On"),
            ("/backup", {"path": str(dest), "overwrite": True}, "overwrite"),
            ("/_test/write", {"key": "k", "": 1}, ""),
        ]
        for path, body, stray in cases:
            answer = await client.post(f"{op}{path}", json=body, headers=headers)
            error = _error(answer, 422, "unknown_field")
            assert error["field"] == stray, (path, error)
            assert json.dumps(stray) in error["detail"], (path, error)
        board = (await client.get(f"{op}/dashboard.json")).json()
        assert board["whatsapp"]["kill_switch"] is False
        assert not dest.exists()
        audit = (await client.get(f"{op}/audit.json")).json()["items"]
        assert not [a for a in audit if a["action"] in ("webhooks.replay", "backup")]
