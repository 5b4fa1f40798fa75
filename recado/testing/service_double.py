"""A studio service double: a real HTTP server on loopback standing in for a CRM, an
operations or a finance system, and for a sync source.

It records every request (method, path, query, headers, JSON body) and answers as told:
``ok`` (the default), ``fail`` with a status, ``hang``, ``429`` with ``Retry-After``,
``drop`` (closes without answering) or ``echo`` (the
request's headers, its credential included, sent back in the body, with the status it is
told; as a sync page, one item whose id is the credential). One-off answers can be queued
with ``script``; ``refuse[key] = status`` answers every request carrying that
``Idempotency-Key`` with the status (one poison item among good ones). For sync tests it
serves pages by cursor: ``pages[cursor] = {"items": [...], "next_cursor": "..."}``, with the
cursor read from the query parameter ``cursor_param``.

Start it by hand for a demo: ``python -m recado.testing.service_double --port 9001``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11
import trio

from recado.testing.h11_server import H11Double, respond


@dataclass
class Request:
    at: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    answered: str = ""

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class Answer:
    kind: str  # ok | fail | hang | 429 | drop | echo
    status: int = 200
    retry_after: str | None = None
    seconds: float = 3600.0
    header: str = "authorization"  # the one an echo repeats


@dataclass
class ServiceDouble(H11Double):
    name: str = "service"
    port: int = 0
    mode: Answer = field(default_factory=lambda: Answer("ok"))
    pages: dict[str, dict[str, Any] | bytes] = field(default_factory=dict)
    cursor_param: str = "since"
    fail_after_pages: int | None = None  # the source breaks after serving this many pages
    refuse: dict[str, int] = field(default_factory=dict)  # Idempotency-Key → status to answer
    requests: list[Request] = field(default_factory=list)
    _script: deque[Answer] = field(default_factory=deque)
    _pages_served: int = 0
    _nursery: trio.Nursery | None = None

    # -- steering -------------------------------------------------------------------------
    def ok(self) -> None:
        self.mode = Answer("ok")

    def fail(self, status: int = 503) -> None:
        self.mode = Answer("fail", status)

    def hang(self, seconds: float = 3600.0) -> None:
        self.mode = Answer("hang", seconds=seconds)

    def too_many(self, retry_after: str) -> None:
        self.mode = Answer("429", 429, retry_after)

    def drop(self) -> None:
        self.mode = Answer("drop")

    def echo(self, status: int = 422, header: str = "authorization") -> None:
        self.mode = Answer("echo", status, header=header.lower())

    def script(self, *answers: Answer) -> None:
        self._script.extend(answers)

    # -- looking ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self, method: str = "POST", answered: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.method == method and (answered is None or r.answered == answered)
        ]

    def keys(self) -> list[str]:
        return [r.key for r in self.received() if r.key is not None]

    # -- the server -------------------------------------------------------------------------
    async def _handle(
        self, conn: h11.Connection, stream: trio.SocketStream, request: h11.Request, raw: bytes
    ) -> bool:
        target = urlsplit(request.target.decode())
        query = {k: v[0] for k, v in parse_qs(target.query, keep_blank_values=True).items()}
        headers = {k.decode().lower(): v.decode() for k, v in request.headers}
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        record = Request(time.time(), request.method.decode(), target.path, query, headers, body)
        self.requests.append(record)

        answer = self._next_answer()
        if record.key is not None and record.key in self.refuse:
            answer = Answer("fail", self.refuse[record.key])
        if answer.kind == "drop":
            record.answered = "dropped"
            return False
        if answer.kind == "hang":
            record.answered = "hung"
            await trio.sleep(answer.seconds)
            return False
        if answer.kind in ("fail", "429"):
            record.answered = f"http {answer.status}"
            extra = [("retry-after", answer.retry_after)] if answer.retry_after else []
            await respond(conn, stream, answer.status, {"error": "scripted"}, extra)
            return True
        if answer.kind == "echo":
            record.answered = f"echo {answer.status}"
            credential = headers.get(answer.header, "")
            echoed = {
                "error": f"refused the credential {credential} ({credential.upper()}, "
                f"{credential[:4]} {credential[4:]})",
                "received_headers": headers,
                "items": [{"id": credential, "note": f"seen {credential}"}],
                "next_cursor": "",
            }
            await respond(conn, stream, answer.status, echoed)
            return True
        if record.method == "GET" and self.pages:
            return await self._page(conn, stream, record)
        record.answered = "ok"
        status = 201 if record.method == "POST" else 200
        await respond(conn, stream, status, {"ok": True, "key": record.key})
        return True

    def _next_answer(self) -> Answer:
        if self._script:
            return self._script.popleft()
        return self.mode

    async def _page(self, conn: h11.Connection, stream: trio.SocketStream, record: Request) -> bool:
        if self.fail_after_pages is not None and self._pages_served >= self.fail_after_pages:
            record.answered = "http 500"
            await respond(conn, stream, 500, {"error": "source broke"})
            return True
        cursor = record.query.get(self.cursor_param, "")
        page = self.pages.get(cursor, {"items": [], "next_cursor": None})
        self._pages_served += 1
        record.answered = "ok"
        await respond(conn, stream, 200, page)
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description="A studio service double for demos and tests")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--name", default="service")
    parser.add_argument("--fail", type=int, help="answer every request with this status")
    args = parser.parse_args()
    double = ServiceDouble(args.name, args.port)
    if args.fail:
        double.fail(args.fail)
    print(f"service double {args.name!r} on http://127.0.0.1:{args.port}", flush=True)
    trio.run(double.serve)


if __name__ == "__main__":
    main()
