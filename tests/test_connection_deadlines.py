"""No client holds a connection slot for long, on either listener (docs/reference.md §1.2):
an answer the client asked to close is followed by the close at once, headers have an
overall deadline however their bytes are spread, an idle keep-alive connection is closed, a
connection lives a bounded time, a client that stops reading is let go, and one that leaves
frees its slot at once."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import h11
import pytest
import trio

from recado.runtime.context import Daemon
from tests.conftest import running_daemon
from tests.raw_http import host_port, read_response

LISTENERS = ["public", "operator"]
# Long enough that nothing in a test closes by a deadline it does not test.
PATIENT = "header_timeout_s = 30\nkeep_alive_s = 30\n"


@asynccontextmanager
async def _daemon(directory: Path, http_toml: str = "") -> AsyncIterator[Daemon]:
    # The raw requests say "Host: x": a name the operator listener is told it has.
    hosts = 'operator_hosts = ["x"]\n'
    async with running_daemon(directory, http_toml=hosts + http_toml) as daemon:
        yield daemon


def _url(daemon: Daemon, name: str) -> str:
    url = daemon.listeners[name].url
    assert url is not None
    return url


def _open(daemon: Daemon, name: str) -> float:
    value = daemon.metrics.registry.get_sample_value("recado_http_connections", {"listener": name})
    return value or 0.0


async def _closed_within(stream: trio.SocketStream, seconds: float) -> bool:
    """Whether the server closes the connection within ``seconds`` (data before the close,
    such as an error answer, is read and dropped)."""
    with trio.move_on_after(seconds):
        try:
            while await stream.receive_some(65536):
                pass
        except trio.BrokenResourceError:
            pass
        return True
    return False


async def _until_open(daemon: Daemon, name: str, count: float, timeout_s: float) -> None:
    with trio.fail_after(timeout_s):
        for _ in range(100_000):
            if _open(daemon, name) == count:
                return
            await trio.sleep(0.02)


# Requests whose answer is the last on the connection: the client asked (HTTP/1.1 close,
# HTTP/1.0 without keep-alive), on a route that answers, one that refuses and a page.
_CLOSING = [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /healthz HTTP/1.0\r\n\r\n",
    b"POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
]


@pytest.mark.parametrize("name", LISTENERS)
async def test_an_answer_the_client_asked_to_close_is_followed_by_the_close(
    daemon_dir: Path, name: str
) -> None:
    async with _daemon(daemon_dir, PATIENT) as daemon:
        host, port = host_port(_url(daemon, name))
        paths = [b"GET /dashboard HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]
        for request in _CLOSING + (paths if name == "operator" else []):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                await stream.send_all(request)
                response = await read_response(stream, see_close=False)
                assert response.status in (200, 404, 405), request
                assert await _closed_within(stream, 1), f"{name} kept {request!r} open"
        await _until_open(daemon, name, 0, 2)


@pytest.mark.parametrize("name", LISTENERS)
async def test_headers_trickled_a_byte_at_a_time_are_cut_at_their_deadline(
    daemon_dir: Path, name: str
) -> None:
    async with _daemon(daemon_dir, "header_timeout_s = 1\nkeep_alive_s = 30\n") as daemon:
        host, port = host_port(_url(daemon, name))
        # The first request of a connection, and one after an answer on a kept-alive one.
        for first in (b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                if first:
                    await stream.send_all(first)
                    assert (await read_response(stream, see_close=False)).status == 200
                    # Idle a while first: the deadline runs from the request's first byte.
                    await trio.sleep(1.2)
                await stream.send_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                start = trio.current_time()
                closed = False
                with trio.move_on_after(4):
                    try:
                        # Each byte well within any per-read timeout; never a whole header.
                        while not closed:
                            await stream.send_all(b"X")
                            with trio.move_on_after(0.2):
                                closed = await stream.receive_some(65536) == b""
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        closed = True
                assert closed, f"{name} kept trickled headers open past their deadline ({first!r})"
                assert trio.current_time() - start < 2.5


@pytest.mark.parametrize("name", LISTENERS)
async def test_a_silent_or_idle_connection_is_closed_at_its_deadline(
    daemon_dir: Path, name: str
) -> None:
    async with _daemon(daemon_dir, "header_timeout_s = 1\nkeep_alive_s = 1\n") as daemon:
        host, port = host_port(_url(daemon, name))
        silent = await trio.open_tcp_stream(host, port)
        idle = await trio.open_tcp_stream(host, port)
        async with silent, idle:
            await idle.send_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await read_response(idle, see_close=False)).status == 200
            assert await _closed_within(silent, 2.5), "a connection that says nothing stays"
            assert await _closed_within(idle, 2.5), "an idle keep-alive connection stays"
        await _until_open(daemon, name, 0, 2)


@pytest.mark.parametrize("name", LISTENERS)
async def test_a_busy_keep_alive_connection_lives_a_bounded_time(
    daemon_dir: Path, name: str
) -> None:
    async with _daemon(daemon_dir, PATIENT + "connection_lifetime_s = 1.5\n") as daemon:
        host, port = host_port(_url(daemon, name))
        # A client that keeps asking: closed once the lifetime is over, between two answers.
        stream = await trio.open_tcp_stream(host, port)
        start = trio.current_time()
        answers = 0
        async with stream:
            with trio.fail_after(5):
                while True:
                    try:
                        await stream.send_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                        response = await read_response(stream, see_close=False)
                    except (h11.RemoteProtocolError, trio.BrokenResourceError):
                        break
                    if response.status == 0:
                        break
                    assert response.status == 200
                    answers += 1
                    if response.headers.get("connection") == "close":
                        break
                    await trio.sleep(0.1)
            assert await _closed_within(stream, 1)
        assert 1.4 < trio.current_time() - start < 3
        assert answers > 3
        # A request in flight when the lifetime ends gets its answer, which says close.
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n")
            await trio.sleep(1.7)
            await stream.send_all(b"{}")
            response = await read_response(stream, see_close=False)
            assert response.status == 405
            assert response.headers["connection"] == "close"
            assert await _closed_within(stream, 1)


@pytest.mark.parametrize("name", LISTENERS)
async def test_a_client_that_stops_reading_its_answers_is_let_go(
    daemon_dir: Path, name: str
) -> None:
    async with _daemon(daemon_dir, PATIENT + "send_timeout_s = 1\n") as daemon:
        host, port = host_port(_url(daemon, name))
        sock = trio.socket.socket()
        # A small window that is never read: the answers back up into the server's buffer.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await sock.connect((host, port))
        stream = trio.SocketStream(sock)
        async with stream, trio.open_nursery() as nursery:
            pipelined = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 20_000
            nursery.start_soon(_send_ignoring_errors, stream, pipelined)
            await _until_open(daemon, name, 1, 2)
            await _until_open(daemon, name, 0, 4)
            nursery.cancel_scope.cancel()


async def _send_ignoring_errors(stream: trio.SocketStream, data: bytes) -> None:
    with suppress(trio.BrokenResourceError, trio.ClosedResourceError):
        await stream.send_all(data)


@pytest.mark.parametrize("name", LISTENERS)
async def test_a_client_that_leaves_mid_request_frees_its_slot_at_once(
    daemon_dir: Path, name: str
) -> None:
    cap = 4
    caps = f"public_max_connections = {cap}\noperator_max_connections = {cap}\n"
    async with _daemon(daemon_dir, PATIENT + caps) as daemon:
        host, port = host_port(_url(daemon, name))
        for partial in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b""):
            streams = [await trio.open_tcp_stream(host, port) for _ in range(cap)]
            for stream in streams:
                await stream.send_all(partial or b"G")
            await _until_open(daemon, name, cap, 2)
            for stream in streams:
                await stream.aclose()
            # Far sooner than any deadline: the slots are free once the clients are gone.
            await _until_open(daemon, name, 0, 1)
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await read_response(stream, see_close=False)).status == 200


@pytest.mark.parametrize("name", LISTENERS)
async def test_every_connection_speaks_http_1_1(daemon_dir: Path, name: str) -> None:
    """HTTP/2 (an h2c upgrade or the prior-knowledge preface) would run outside these
    deadlines: the upgrade is ignored and the preface refused like any malformed request."""
    async with _daemon(daemon_dir, PATIENT) as daemon:
        host, port = host_port(_url(daemon, name))
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
            )
            response = await read_response(stream, see_close=False)
            assert response.status == 200
            assert response.json()["listener"] == name
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            response = await read_response(stream)
            # An HTTP/1.1 refusal in the JSON shape, not an HTTP/2 connection.
            assert 400 <= response.status < 500
            assert set(response.json()) == {"error", "detail"}
            assert await _closed_within(stream, 1)
