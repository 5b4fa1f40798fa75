"""hypercorn's own answers to requests it cannot parse carry our JSON error shape, on both
listeners; a restarted HTTP server keeps its socket."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio
from quart_trio import QuartTrio

from recado.http.serve import ConnectionGate, serve_http
from recado.runtime.listeners import Listener
from recado.runtime.metrics import Metrics
from recado.runtime.supervisor import Supervisor
from tests.conftest import running_daemon
from tests.raw_http import exchange

MALFORMED = {
    "request line": (b"GARBAGE\r\n\r\n", 400),
    "no http version": (b"GET /healthz\r\nHost: x\r\n\r\n", 400),
    "header without colon": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n", 400),
    "space before colon": (b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    "missing host": (b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    "two content lengths": (
        b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400,
    ),
    "bad content length": (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    # h11 hints 501 here; a request we cannot take is still the client's error.
    "unknown transfer coding": (
        b"POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        400,
    ),
    # Unfinished: h11 bounds what it buffers while a request line or header block is still
    # incomplete (16 KiB), which is how an oversized one is seen.
    "headers too large": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000, 431),
    "request line too large": (b"GET /" + b"a" * 40_000, 431),
}


@pytest.mark.parametrize("listener", ["public", "operator"])
async def test_unparseable_requests_get_the_json_error_shape(
    daemon_dir: Path, listener: str
) -> None:
    async with running_daemon(daemon_dir) as daemon:
        url = daemon.listeners[listener].url
        assert url is not None
        for name, (data, status) in MALFORMED.items():
            response = await exchange(url, data)
            assert response.status == status, name
            assert response.headers["content-type"] == "application/json", name
            body = response.json()
            assert set(body) == {"error", "detail"}, name
            assert body["error"] and body["detail"], name
            assert int(response.headers["content-length"]) == len(response.body), name
            assert response.closed, name
        # The listener is fine afterwards.
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/healthz")).status_code == 200


# Paths with an empty segment, written plainly or as %2f: the router must not answer them with
# its own redirect to the merged path (an English HTML page, and a 308 that an events client
# or Meta would follow with its body), but as any unknown path.
DOUBLED_SLASHES = {
    "public": [
        ("POST", "/api/v1//events"),
        ("POST", "/webhooks//whatsapp"),
        ("GET", "/static//vendor/uPlot.iife.min.js"),
        ("GET", "/voucher//apt-1"),
    ],
    "operator": [
        ("GET", "/static//recado.css"),
        ("GET", "/static/%2f%2fevil.example"),
        ("GET", "/messages/%2f%2fevil.example"),
        ("GET", "/report//daily"),
        ("POST", "/alerts//1/acknowledge"),
    ],
}


@pytest.mark.parametrize("listener", ["public", "operator"])
async def test_a_path_with_doubled_slashes_is_not_found_not_redirected(
    daemon_dir: Path, listener: str
) -> None:
    async with running_daemon(daemon_dir) as daemon:
        url = daemon.listeners[listener].url
        assert url is not None
        key = {"X-API-Key": daemon.api_key, "Accept": "application/json"}
        for method, path in DOUBLED_SLASHES[listener]:
            host = url.removeprefix("http://")  # the operator listener checks its Host
            request = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n".encode()
            headers = "".join(f"{k}: {v}\r\n" for k, v in key.items()).encode()
            response = await exchange(url, request + headers + b"Content-Length: 0\r\n\r\n")
            assert response.status == 404, (path, response.status, response.headers)
            assert set(response.json()) == {"error", "detail"}, path
            assert response.json()["error"] == "not_found", path


async def test_a_restarted_http_server_keeps_its_socket() -> None:
    app = QuartTrio("restart-test")
    starts: list[int] = []
    restarted = trio.Event()

    @app.before_serving
    async def fail_the_first_start() -> None:
        starts.append(1)
        if len(starts) == 1:
            raise RuntimeError("first start fails")
        restarted.set()

    @app.get("/x")
    async def x() -> str:
        return "ok"

    listener = Listener("public", "127.0.0.1:0")
    listener.open()
    bound = listener.bound
    supervisor, stop = Supervisor(), trio.Event()
    gate = ConnectionGate("public", 5, Metrics())
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(
                supervisor.supervise, "http", serve_http, app, listener, stop, 1.0, gate
            )
            with trio.fail_after(10):
                await restarted.wait()
            assert supervisor.actors["http"].restarts == 1
            assert listener.bound == bound
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://{bound}/x")).text == "ok"
            stop.set()
    finally:
        listener.close()
    # Stopping (not crashing) closes the socket: the port is free again.
    free = Listener("public", bound or "")
    free.open()
    free.close()
