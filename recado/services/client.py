"""One studio service (``[[services]]``): its base URL, auth header and timeout.

Every outcome comes back as a value, never an exception: an answer with its status code, or
a transport failure (``timeout``, ``connect``, ``error``) with what happened.

An answer's body comes back as the service sent it: it may be data recado forwards (a sync
page's items and cursor go to the target and back to the source unchanged). Whoever keeps
part of it for people redacts it there (``recado.redaction``: a delivery's error, a set-aside
item's reason); transport failures are redacted here, being only ever text for people.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from recado import __version__
from recado.outbound import ClientPool
from recado.redaction import redact

USER_AGENT = f"recado/{__version__}"
CONNECTIONS_PER_SERVICE = 8
# The most of an answer read (a sync page, an error body).
MAX_ANSWER_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes
    latency_ms: float


@dataclass(frozen=True)
class Failure:
    kind: str  # timeout | connect | error | too_large
    detail: str
    latency_ms: float


Result = Answer | Failure


class ServiceClient:
    def __init__(
        self,
        name: str,
        base_url: str,
        auth_header: str,
        auth_value: str,
        timeout_s: float,
        connections: int = CONNECTIONS_PER_SERVICE,
    ) -> None:
        self.name = name
        headers = {"User-Agent": USER_AGENT}
        if auth_value:
            headers[auth_header] = auth_value
        self._pool = ClientPool(base_url, connections, httpx.Timeout(timeout_s), headers)

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        idempotency_key: str | None = None,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> Result:
        """Read at most ``max_bytes`` of the answer: a larger one is a ``too_large`` failure
        (a source page of 60 MB must not fill the memory nor the database)."""
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        async with self._pool.client() as client:
            started = time.perf_counter()
            try:
                request = client.build_request(method, path, content=body, headers=headers)
                response = await client.send(request, stream=True)
                try:
                    raw = bytearray()
                    async for chunk in response.aiter_bytes():
                        raw += chunk
                        if len(raw) > max_bytes:
                            detail = f"the answer is larger than {max_bytes} bytes"
                            return Failure("too_large", detail, _ms(started))
                finally:
                    await response.aclose()
            except httpx.TimeoutException as exc:
                return Failure("timeout", redact(str(exc)) or "no answer in time", _ms(started))
            except httpx.ConnectError as exc:
                return Failure("connect", redact(str(exc)) or "connection refused", _ms(started))
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                # InvalidURL is no HTTPError (a path too long, from a cursor a source gave).
                return Failure("error", redact(f"{type(exc).__name__}: {exc}"), _ms(started))
        return Answer(response.status_code, response.headers, bytes(raw), _ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def service_clients(services: list[Any]) -> dict[str, ServiceClient]:
    return {
        s.name: ServiceClient(s.name, s.base_url, s.auth_header, s.auth_value, s.timeout_s)
        for s in services
    }
