"""Connections are bounded per listener: over the cap a 503 in the JSON shape, a metric and
an operator alert; slow bodies are cut by the public listener's body timeout and never
starve real webhooks of descriptors."""

from __future__ import annotations

import json
import resource
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import trio

from recado.runtime.context import Daemon
from recado.storage.alerts import list_alerts
from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from tests.conftest import running_daemon
from tests.raw_http import exchange, host_port, read_response
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, query, write_secrets

CAP = 6


def _webhook_request() -> bytes:
    raw, headers = wb.signed(wb.envelope([wb.inbound_text("oi")]), APP_SECRET)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: {len(raw)}\r\n{head}\r\n"
    ).encode() + raw


def _open_connections(daemon: Daemon, name: str) -> float:
    value = daemon.metrics.registry.get_sample_value("recado_http_connections", {"listener": name})
    return value or 0.0


async def _held(url: str) -> trio.SocketStream:
    """A connection that was admitted (its request answered) and stays open (keep-alive)."""
    stream = await trio.open_tcp_stream(*host_port(url))
    await stream.send_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(stream, see_close=False)).status == 200
    return stream


async def _until(check: Callable[[], Awaitable[bool]], timeout_s: float = 10) -> None:
    with trio.fail_after(timeout_s):
        for _ in range(100_000):
            if await check():
                return
            await trio.sleep(0.02)


@pytest.mark.parametrize("name", ["public", "operator"])
async def test_a_connection_over_the_cap_gets_503_json_and_one_alert(
    daemon_dir: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    write_secrets(daemon_dir)
    caps = f"public_max_connections = {CAP}\noperator_max_connections = {CAP}\n"
    caps += 'operator_hosts = ["x"]\n'  # the raw requests' Host
    async with running_daemon(daemon_dir, WEBHOOK_TOML, http_toml=caps) as daemon:
        url = daemon.listeners[name].url
        assert url is not None
        held = [await _held(url) for _ in range(CAP)]
        assert _open_connections(daemon, name) == CAP

        for _ in range(3):
            response = await exchange(url, _webhook_request())
            assert response.status == 503
            assert response.headers["content-type"] == "application/json"
            assert response.headers["retry-after"] == "5"
            assert response.json()["error"] == "too_many_connections"
            assert str(CAP) in response.json()["detail"]
            assert response.closed
        refused = {"listener": name}
        assert daemon.metrics.count("recado_http_connections_refused_total", **refused) == 3
        # The app never saw them: no webhook counted, nothing in the inbox.
        assert daemon.metrics.count("recado_webhook_requests_total", outcome="accepted") == 0
        assert query(daemon, "SELECT id FROM webhook_inbox") == []

        alerts = await daemon.storage.read(list_alerts, False)
        assert [(a.code, a.subject, a.severity) for a in alerts] == [
            ("connection_cap", name, "warning")
        ]
        assert f"{CAP} conexões" in alerts[0].text_pt
        assert f"cap of {CAP} open connections" in alerts[0].text_en
        assert f"http.{name}_max_connections" in alerts[0].text_en

        # Under half the cap again: the alert is resolved, and the listener admits again.
        for stream in held[: CAP // 2 + 1]:
            await stream.aclose()

        async def resolved() -> bool:
            return await daemon.storage.read(list_alerts, False) == []

        await _until(resolved)
        assert _open_connections(daemon, name) == CAP // 2 - 1
        await (await _held(url)).aclose()
        # A second saturation soon after the resolve is a new alert and a new journal line.
        held = held[CAP // 2 + 1 :] + [await _held(url) for _ in range(CAP // 2 + 1)]
        assert (await exchange(url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")).status == 503
        everything = await daemon.storage.read(list_alerts, True)
        assert [(a.code, a.resolved_at is None) for a in everything] == [
            ("connection_cap", True),
            ("connection_cap", False),
        ]
        hits = [r for r in caplog.records if r.getMessage() == "connection_cap_hit"]
        assert len(hits) == 2
        assert [r.__dict__["recado_fields"]["listener"] for r in hits] == [name, name]
        for stream in held:
            await stream.aclose()
        # The dashboard says so, in the studio's language, while it is recent (once the
        # saturation is over: at the cap, the operator listener's own dashboard gets 503).
        dashboard = daemon.listeners["operator"].url
        async with httpx.AsyncClient(timeout=10) as client:
            board = (await client.get(f"{dashboard}/dashboard.json")).json()
        reasons = [r for r in board["reasons"] if r["code"] == "connection_cap"]
        assert len(reasons) == 1 and f"http.{name}_max_connections" in reasons[0]["text"]
        assert f"{CAP} conexões" in reasons[0]["text"]
        assert board["status"] == "degraded"


async def test_a_stalled_body_on_the_public_listener_gets_408_after_its_timeout(
    daemon_dir: Path,
) -> None:
    write_secrets(daemon_dir)
    async with running_daemon(
        daemon_dir, WEBHOOK_TOML, http_toml="public_body_timeout_s = 1\n"
    ) as daemon:
        url = daemon.listeners["public"].url
        assert url is not None
        stream = await trio.open_tcp_stream(*host_port(url))
        async with stream:
            # Headers, then a body that stops short of its Content-Length.
            await stream.send_all(
                b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                b"Content-Type: application/json\r\n\r\n{"
            )
            start = trio.current_time()
            response = await read_response(stream, timeout_s=5)
            assert 0.9 < trio.current_time() - start < 3
        assert response.status == 408
        assert response.json()["error"] == "request_timeout"


def _metric(daemon: DaemonProcess, sample: str) -> float:
    text = httpx.get(f"{daemon.operator_url}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[1])
    return 0.0


@pytest.mark.slow
def test_a_thousand_slow_bodies_do_not_starve_real_webhooks(tmp_path: Path) -> None:
    """The issue's attack: ~1,000 slow-body connections against a daemon started with the
    1,024 descriptors a unit without LimitNOFILE= gets (1,100 exhaust them on the code before
    the caps: every later webhook timed out). With a cap that admits them all the daemon takes
    the descriptors it needs; real signed webhooks still get their 200 at once, and every slow
    body is cut by the body timeout with a 408."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"needs a hard RLIMIT_NOFILE of 4096 for this test's sockets (have {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))
    write_secrets(tmp_path)
    config = write_config(
        tmp_path,
        WEBHOOK_TOML,
        http_toml="public_max_connections = 1200\n",
    )
    slow = 1100
    gauge = 'recado_http_connections{listener="public"}'
    raw, headers = wb.signed(wb.envelope([wb.inbound_text("oi")]), APP_SECRET)
    socks: list[socket.socket] = []
    try:
        with DaemonProcess(config, test_hooks=False, soft_nofile=1024) as daemon:
            address = host_port(daemon.public_url)
            started = time.monotonic()
            for _ in range(slow):
                sock = socket.create_connection(address, timeout=10)
                sock.sendall(
                    b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                    b"Content-Type: application/json\r\n\r\n{"
                )
                socks.append(sock)
            deadline = time.monotonic() + 10
            while _metric(daemon, gauge) < slow and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _metric(daemon, gauge) == slow

            for _ in range(5):
                t0 = time.monotonic()
                response = httpx.post(
                    f"{daemon.public_url}/webhooks/whatsapp",
                    content=raw,
                    headers=headers,
                    timeout=5,
                )
                assert response.status_code == 200, response.text
                assert time.monotonic() - t0 < 2
            # The default body timeout (10 s) had not cut the slow bodies yet.
            assert time.monotonic() - started < 10, "the slow bodies timed out before the check"

            for sock in socks:
                sock.settimeout(15)
                head, _, body = _read_all(sock).partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 408"), head
                assert json.loads(body)["error"] == "request_timeout"
            deadline = time.monotonic() + 10
            while _metric(daemon, gauge) > 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _metric(daemon, gauge) == 0
            assert "accept_failed" not in daemon.log_text()
    finally:
        for sock in socks:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.slow
def test_a_flood_over_the_default_cap_is_refused_and_the_daemon_stays_whole(
    tmp_path: Path,
) -> None:
    """The same attack against the default caps: the 256 admitted are held until the body
    timeout, the rest get the 503 at once; the daemon keeps descriptors for the operator
    listener and its own files, and webhooks get their 200 again once the slow bodies go."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"needs a hard RLIMIT_NOFILE of 4096 for this test's sockets (have {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))
    write_secrets(tmp_path)
    config = write_config(tmp_path, WEBHOOK_TOML, http_toml="public_body_timeout_s = 8\n")
    raw, headers = wb.signed(wb.envelope([wb.inbound_text("oi")]), APP_SECRET)
    socks: list[socket.socket] = []
    try:
        with DaemonProcess(config, test_hooks=False, soft_nofile=1024) as daemon:
            address = host_port(daemon.public_url)
            for _ in range(1100):
                sock = socket.create_connection(address, timeout=10)
                sock.sendall(
                    b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                    b"Content-Type: application/json\r\n\r\n{"
                )
                socks.append(sock)
            assert httpx.get(f"{daemon.operator_url}/healthz", timeout=5).status_code == 200
            answers: dict[bytes, int] = {}
            for sock in socks:
                sock.settimeout(30)
                head = _read_all(sock).split(b"\r\n", 1)[0]
                answers[head] = answers.get(head, 0) + 1
            refused = answers.get(b"HTTP/1.1 503 Service Unavailable", 0)
            timed_out = answers.get(b"HTTP/1.1 408 ", 0)
            # Every connection got an answer: 503 at once over the cap, 408 for the admitted
            # ones at their body timeout. On a loaded machine the first admitted may time out
            # while the flood is still being opened, freeing slots for a few more.
            assert refused + timed_out == 1100, answers
            assert timed_out >= 256 and refused >= 1100 - 2 * 256, answers
            metric = 'recado_http_connections_refused_total{listener="public"}'
            assert _metric(daemon, metric) == refused
            response = httpx.post(
                f"{daemon.public_url}/webhooks/whatsapp", content=raw, headers=headers, timeout=5
            )
            assert response.status_code == 200
            assert "accept_failed" not in daemon.log_text()
    finally:
        for sock in socks:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
