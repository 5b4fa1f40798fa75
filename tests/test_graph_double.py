"""The Graph API double speaks the wire format and follows its script."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.graph_double import GraphDouble
from tests.process_helpers import free_port
from tests.webhook_helpers import (
    APP_SECRET,
    WEBHOOK_TOML,
    query,
    webhook_daemon,
    write_secrets,
)

TOKEN = "double-token"


def _template(name: str = "aviso_de_agendamento", params: int = 5, lang: str = "pt_BR") -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+5511987654321",
        "type": "template",
        "biz_opaque_callback_data": "job-1",
        "template": {
            "name": name,
            "language": {"code": lang},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": f"p{i}"} for i in range(params)],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "CONFIRM:apt-1"}],
                },
            ],
        },
    }


@asynccontextmanager
async def running_double(**kw: Any) -> AsyncIterator[tuple[GraphDouble, httpx.AsyncClient]]:
    double = GraphDouble(token=TOKEN, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(double.serve)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=double.url, headers=headers, timeout=5) as client:
            yield double, client
        nursery.cancel_scope.cancel()


async def test_accepts_a_valid_template_and_records_it() -> None:
    async with running_double() as (double, client):
        response = await client.post("/v21.0/106540352242922/messages", json=_template())
        assert response.status_code == 200
        body = response.json()
        assert body["contacts"] == [{"input": "+5511987654321", "wa_id": "5511987654321"}]
        assert body["messages"][0]["id"].startswith("wamid.")
        assert body["messages"][0]["message_status"] == "accepted"
        assert [r.callback_data for r in double.sends_for("job-1")] == ["job-1"]
        text = await client.post(
            "/v21.0/1/messages",
            json={
                "messaging_product": "whatsapp",
                "to": "+5511987654321",
                "type": "text",
                "text": {"body": "Olá"},
            },
        )
        assert text.status_code == 200 and "message_status" not in text.json()["messages"][0]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (_template(name="nao_existe"), 132001),
        (_template(lang="en_US"), 132001),
        (_template(params=4), 132000),
        (
            {
                "messaging_product": "whatsapp",
                "to": "+5511987654321",
                "type": "text",
                "text": {"body": "x" * 4097},
            },
            100,
        ),
        (
            {"messaging_product": "whatsapp", "to": "abc", "type": "text", "text": {"body": "x"}},
            100,
        ),
        (
            {"messaging_product": "whatsapp", "to": "+5511987654321", "type": "text", "text": {}},
            131008,
        ),
    ],
)
async def test_validates_like_meta(body: dict, code: int) -> None:
    async with running_double() as (_, client):
        response = await client.post("/v21.0/1/messages", json=body)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == code
        assert error["fbtrace_id"] and error["error_data"]["details"]


async def test_bad_token_is_190() -> None:
    async with running_double() as (_, client):
        response = await client.post(
            "/v21.0/1/messages", json=_template(), headers={"Authorization": "Bearer wrong"}
        )
        assert response.status_code == 401
        assert (response.json()["error"]["code"], response.json()["error"]["error_subcode"]) == (
            190,
            467,
        )


async def test_scripted_failures_then_success() -> None:
    async with running_double() as (double, client):
        double.fail_next(2, 131047, message="Re-engagement message")
        double.answer_next(1, 503)
        answers = [(await client.post("/v21.0/1/messages", json=_template())) for _ in range(4)]
        assert [a.status_code for a in answers] == [400, 400, 503, 200]
        assert answers[0].json()["error"]["code"] == 131047
        assert [r.answered for r in double.sends()] == [
            "error 131047",
            "error 131047",
            "http 503",
            "ok",
        ]


async def test_hang_and_drop_after_reading_the_request() -> None:
    async with running_double() as (double, client):
        double.hang_next(1, seconds=5)
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/v21.0/1/messages", json=_template(), timeout=0.3)
        double.drop_next(1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/v21.0/1/messages", json=_template())
        # Both requests were read in full before the double misbehaved.
        assert [r.answered for r in double.sends()] == ["hung", "dropped"]
        assert all(r.callback_data == "job-1" for r in double.sends())


async def test_status_webhooks_reach_the_daemon_signed(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, _):
        url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
        async with running_double(webhook_url=url, app_secret=APP_SECRET) as (double, client):
            answer = await client.post("/v21.0/1/messages", json=_template())
            wamid = answer.json()["messages"][0]["id"]
            codes = await double.emit_statuses(
                wamid,
                ["sent", "delivered", "read"],
                "+5511987654321",
                callback_data="job-1",
                shuffle=True,
            )
            assert codes == [200, 200, 200]
        await daemon.commands.webhooks.drain()
        rows = query(daemon, "SELECT status, callback_data FROM message_statuses ORDER BY ts")
        assert rows == [
            {"status": s, "callback_data": "job-1"} for s in ("sent", "delivered", "read")
        ]


def test_the_double_run_by_hand_posts_statuses_back(tmp_path: Path) -> None:
    """The README's demo: ``python -m recado.testing.graph_double`` with its default
    ``--auto-statuses``, pointed at a running daemon, answers a send and posts signed
    sent/delivered/read webhooks back (it crashed on its first send before)."""
    config = write_config(tmp_path, WEBHOOK_TOML)
    write_secrets(tmp_path)
    daemon = DaemonProcess(config, test_hooks=False).start()
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recado.testing.graph_double",
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--webhook-url",
            f"{daemon.public_url}/webhooks/whatsapp",
            "--app-secret",
            APP_SECRET,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None and "Graph API double" in proc.stdout.readline()
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v21.0/1/messages",
            json=_template(),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 200
        deadline = time.monotonic() + 20
        statuses: list[str] = []
        while time.monotonic() < deadline and len(statuses) < 3:
            page = httpx.get(f"{daemon.operator_url}/webhooks.json", timeout=5).json()
            statuses = [i["field"] for i in page["items"] if i["processed_at"]]
            time.sleep(0.1)
        assert statuses == ["messages"] * 3
        assert proc.poll() is None, proc.stdout.read()
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
        daemon.terminate()
    assert "Traceback" not in out, out


@pytest.mark.parametrize(
    ("address", "contact"),
    [
        # A BSUID alone goes in recipient and is named back by user_id.
        (
            {"recipient": "BR.7300112233445566"},
            {"input": "BR.7300112233445566", "user_id": "BR.7300112233445566"},
        ),
        # Both: to wins.
        (
            {"to": "+5511987654321", "recipient": "BR.7300112233445566"},
            {"input": "+5511987654321", "wa_id": "5511987654321"},
        ),
    ],
)
async def test_a_send_to_a_bsuid_goes_in_recipient(
    address: dict[str, str], contact: dict[str, str]
) -> None:
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **address}
    async with running_double() as (_, client):
        for kind in ({"type": "text", "text": {"body": "Olá"}}, _template()):
            sent = {**{k: v for k, v in kind.items() if k != "to"}, **body}
            response = await client.post("/v21.0/1/messages", json=sent)
            assert response.status_code == 200, response.text
            assert response.json()["contacts"] == [contact]


@pytest.mark.parametrize("recipient", [None, "", "5511987654321", "BR.", "br.123"])
async def test_neither_a_phone_nor_a_bsuid_is_100(recipient: str | None) -> None:
    body: dict[str, Any] = {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}
    if recipient is not None:
        body["recipient"] = recipient
    async with running_double() as (_, client):
        response = await client.post("/v21.0/1/messages", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 100
