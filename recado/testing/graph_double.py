"""A Graph API double: a real HTTP server on loopback that speaks Meta's wire format.

It validates ``POST /{version}/{phone_number_id}/messages`` bodies as the Cloud API does
(token, ``to``, text length, template name/language/parameter count), answers with wamids or
Graph error objects, records every request, and can be scripted per test: fail the next N
calls with a code, answer 429/5xx, hang past the client's timeout, close the connection
after reading the request, or echo the request's ``Authorization`` header back in its
answer, as careless proxies and debugging upstreams do. It can post signed status webhooks
back to the daemon, in order or shuffled, echoing ``biz_opaque_callback_data``.

Built on trio + h11 directly (not an ASGI app) so it can drop a connection mid-request.

Run by hand for a demo::

    python -m recado.testing.graph_double --port 9100 --token TOKEN \\
        --webhook-url http://127.0.0.1:8080/webhooks/whatsapp --app-secret SECRET
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import h11
import httpx
import trio

from recado.testing import webhook_bodies as wb
from recado.testing.graph_templates import TemplateSpec, answer_listing, status_change
from recado.testing.graph_wire import graph_error, validate_send
from recado.testing.h11_server import H11Double, respond
from recado.testing.sdk_standin import SdkStandIn, answer_signup
from recado.testing.signup_double import SignupGraph
from recado.whatsapp.signature import sign

_MESSAGES_PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)/messages$")


@dataclass
class Recorded:
    """One request the double received, whatever it answered."""

    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    answered: str  # "ok", "error <code>", "http <status>", "hung", "dropped"

    @property
    def callback_data(self) -> str | None:
        return self.body.get("biz_opaque_callback_data") if isinstance(self.body, dict) else None


@dataclass
class Behaviour:
    kind: str  # error | http | hang | drop | echo
    code: int | None = None
    subcode: int | None = None
    http_status: int = 400
    message: str = ""
    seconds: float = 0.0
    is_transient: bool | None = None


@dataclass
class GraphDouble(H11Double):
    token: str = "test-token"
    templates: dict[str, TemplateSpec] = field(
        default_factory=lambda: {
            "aviso_de_agendamento": TemplateSpec("pt_BR", 5, 3),
            "confirmacao_de_agendamento_24h": TemplateSpec("pt_BR", 5, 3),
        }
    )
    webhook_url: str | None = None
    app_secret: str | None = None
    waba_id: str = wb.WABA_ID
    auto_statuses: tuple[str, ...] = ()
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    _script: deque[Behaviour] = field(default_factory=deque)
    # Scripted answers (status, body) to the next template listings, before the real ones.
    listing_script: deque[tuple[int, Any]] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # wamids are unique across runs, as Meta's are: a second double on the same database
    # must not hand out wamids the first one already did.
    _prefix: str = field(default_factory=lambda: secrets.token_hex(4).upper())
    _nursery: trio.Nursery | None = None
    _request_seen: trio.Event = field(default_factory=trio.Event)
    # Embedded Signup: its Graph endpoints and the JS SDK stand-in (signup_double).
    signup: SignupGraph = field(default_factory=SignupGraph)
    sdk: SdkStandIn | None = None

    # -- scripting --------------------------------------------------------------------------

    def fail_next(
        self,
        n: int,
        code: int,
        *,
        http_status: int = 400,
        subcode: int | None = None,
        message: str = "",
        is_transient: bool | None = None,
        after_s: float = 0.0,
    ) -> None:
        """Answer the next ``n`` sends with a Graph error, each ``after_s`` seconds after
        reading it (a slow failure leaves time for the world to change meanwhile)."""
        for _ in range(n):
            self._script.append(
                Behaviour(
                    "error",
                    code,
                    subcode,
                    http_status,
                    message,
                    seconds=after_s,
                    is_transient=is_transient,
                )
            )

    def answer_next(self, n: int, http_status: int) -> None:
        """A bare HTTP status without a Graph error body (e.g. a proxy's 503)."""
        for _ in range(n):
            self._script.append(Behaviour("http", http_status=http_status))

    def hang_next(self, n: int, seconds: float = 3600) -> None:
        """Read the request, then answer nothing for ``seconds`` (past any client timeout)."""
        for _ in range(n):
            self._script.append(Behaviour("hang", seconds=seconds))

    def drop_next(self, n: int) -> None:
        """Read the request, then close the connection without answering."""
        for _ in range(n):
            self._script.append(Behaviour("drop"))

    def echo_auth_next(self, n: int, *, http_status: int = 400, code: int = 100) -> None:
        """Answer with the request's ``Authorization`` header in the body: on 200 beside the
        wamid, otherwise in a Graph error's message and details (or, for a ``code`` of 0, in
        a plain JSON body without a Graph error)."""
        for _ in range(n):
            self._script.append(Behaviour("echo", code, http_status=http_status))

    async def set_status(self, name: str, status: str, reason: str | None = "NONE") -> int:
        """Change a template's status, as Meta does, and post the webhook that says so."""
        spec = self.templates[name]
        spec.status = "APPROVED" if status == "REINSTATED" else status
        return await self.post_webhook(
            wb.envelope([status_change(name, spec, status, reason)], waba_id=self.waba_id)
        )

    def sends(self) -> list[Recorded]:
        return [r for r in self.requests if _MESSAGES_PATH.match(r.path)]

    def sends_for(self, job_id: str) -> list[Recorded]:
        return [r for r in self.sends() if r.callback_data == job_id]

    async def wait_for_requests(self, n: int) -> None:
        while len(self.requests) < n:
            await self._request_seen.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- status webhooks back to the daemon ---------------------------------------------------

    def status_body(
        self,
        wamid: str,
        status: str,
        recipient: str,
        *,
        callback_data: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        ts: int | None = None,
    ) -> dict[str, Any]:
        change = wb.status(
            wamid,
            status,
            ts=ts if ts is not None else int(time.time()),
            recipient=recipient.lstrip("+"),
            callback_data=callback_data,
            errors=errors,
        )
        return wb.envelope([change], waba_id=self.waba_id)

    async def post_webhook(self, body: dict[str, Any]) -> int:
        """Sign and post one webhook body to the daemon, as Meta does; returns the status."""
        assert self.webhook_url, "webhook_url is not set"
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if self.app_secret:
            headers["X-Hub-Signature-256"] = sign(self.app_secret, raw)
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(self.webhook_url, content=raw, headers=headers)
        return response.status_code

    async def emit_statuses(
        self,
        wamid: str,
        statuses: list[str],
        recipient: str,
        *,
        callback_data: str | None = None,
        shuffle: bool = False,
        rng: random.Random | None = None,
    ) -> list[int]:
        order = list(statuses)
        if shuffle:
            (rng or random.Random()).shuffle(order)
        base = int(time.time())
        rank = {s: i for i, s in enumerate(statuses)}
        return [
            await self.post_webhook(
                self.status_body(
                    wamid, s, recipient, callback_data=callback_data, ts=base + rank[s]
                )
            )
            for s in order
        ]

    def _listing_grant(self, headers: dict[str, str]) -> tuple[str, str]:
        """The token and WABA a templates listing is answered for: a business token the
        signup side issued reads its own WABA; any other request is checked against the
        double's configured token and WABA."""
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        issued = self.signup.tokens.get(bearer)
        if issued is not None and issued.valid:
            return bearer, issued.account.waba_id
        return self.token, self.waba_id

    # -- the server -------------------------------------------------------------------------

    async def _handle(
        self, conn: h11.Connection, stream: trio.SocketStream, request: h11.Request, raw: bytes
    ) -> bool:
        path = request.target.decode().split("?", 1)[0]
        headers = {k.decode().lower(): v.decode() for k, v in request.headers}
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        record = Recorded(time.time(), request.method.decode(), path, headers, body, "")
        self.requests.append(record)
        self._request_seen.set()
        self._request_seen = trio.Event()

        self.sdk = self.sdk or SdkStandIn(self.signup)
        answered = await answer_signup(self.sdk, conn, stream, request, headers, body)
        if answered is not None:
            record.answered = answered
            return True
        token, waba = self._listing_grant(headers)
        listing = answer_listing(
            self.templates,
            token,
            waba,
            request.method.decode(),
            request.target.decode(),
            headers,
            graph_error,
            self.url,
        )
        if listing is not None and self.listing_script:
            listing = self.listing_script.popleft()
        if listing is not None:
            record.answered = "ok" if listing[0] == 200 else f"http {listing[0]}"
            await respond(conn, stream, *listing)
            return True
        match = _MESSAGES_PATH.match(path)
        if request.method != b"POST" or not match:
            record.answered = "http 404"
            await respond(conn, stream, 404, graph_error(803, "Unknown path components"))
            return True
        behaviour = self._script.popleft() if self._script else None
        if behaviour is not None and behaviour.kind == "drop":
            record.answered = "dropped"
            return False
        if behaviour is not None and behaviour.kind == "hang":
            record.answered = "hung"
            await trio.sleep(behaviour.seconds)
            return False
        if behaviour is not None and behaviour.kind == "http":
            record.answered = f"http {behaviour.http_status}"
            await respond(conn, stream, behaviour.http_status, {"error": "unavailable"})
            return True
        if behaviour is not None and behaviour.kind == "error":
            assert behaviour.code is not None
            record.answered = f"error {behaviour.code}"
            if behaviour.seconds:
                await trio.sleep(behaviour.seconds)
            await respond(
                conn,
                stream,
                behaviour.http_status,
                graph_error(
                    behaviour.code,
                    behaviour.message or f"scripted error {behaviour.code}",
                    behaviour.subcode,
                    behaviour.is_transient,
                ),
            )
            return True
        if behaviour is not None and behaviour.kind == "echo":
            return await self._echo(conn, stream, record, behaviour)
        status, answer = self._validate_send(headers, body)
        record.answered = "ok" if status == 200 else f"error {answer['error']['code']}"
        await respond(conn, stream, status, answer)
        if status == 200 and self.auto_statuses and self.webhook_url and self._nursery:
            wamid = answer["messages"][0]["id"]
            self._nursery.start_soon(
                partial(
                    self.emit_statuses,
                    wamid,
                    list(self.auto_statuses),
                    body["to"],
                    callback_data=body.get("biz_opaque_callback_data"),
                )
            )
        return True

    async def _echo(
        self,
        conn: h11.Connection,
        stream: trio.SocketStream,
        record: Recorded,
        behaviour: Behaviour,
    ) -> bool:
        auth = record.headers.get("authorization", "")
        if behaviour.http_status == 200:
            status, answer = self._validate_send(record.headers, record.body)
            if status == 200:
                answer["debug"] = {"request_headers": dict(record.headers), "auth": auth}
        elif behaviour.code:
            status = behaviour.http_status
            answer = graph_error(
                behaviour.code,
                f"({behaviour.code}) Rejected the request sent with Authorization: {auth}",
                details=f"request headers were {json.dumps(record.headers)}",
            )
        else:
            status, answer = behaviour.http_status, {"proxy_error": f"upstream refused {auth}"}
        record.answered = f"echo {status}"
        await respond(conn, stream, status, answer)
        return True

    def _validate_send(self, headers: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        if self.signup.accepts(headers.get("authorization", "")):
            headers = {**headers, "authorization": f"Bearer {self.token}"}  # a signup's token
        return validate_send(self.token, self.templates, headers, body, self._next_wamid)

    def _next_wamid(self) -> str:
        return f"wamid.DOUBLE{self._prefix}{next(self._ids):08d}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Graph API double for demos and tests")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--webhook-url", help="the daemon's /webhooks/whatsapp, for statuses")
    parser.add_argument("--app-secret", help="signs the status webhooks")
    parser.add_argument(
        "--auto-statuses",
        default="sent,delivered,read",
        help="statuses posted back after each accepted send ('' for none)",
    )
    args = parser.parse_args()
    double = GraphDouble(
        token=args.token,
        webhook_url=args.webhook_url,
        app_secret=args.app_secret,
        port=args.port,
        auto_statuses=tuple(s for s in args.auto_statuses.split(",") if s),
    )
    print(f"Graph API double on http://127.0.0.1:{args.port} (token {args.token!r})", flush=True)
    trio.run(double.serve)


if __name__ == "__main__":
    main()
