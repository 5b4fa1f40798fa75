"""Posting one message to the Graph API, with every outcome told apart.

The distinction that matters is whether the request may have reached Meta: a connection that
was never made sent nothing (safe to retry), while a timeout or a dropped connection after
the request was written leaves the outcome unknown (the job becomes ``uncertain`` and is
never retried automatically).

Whatever Meta (or a proxy in front of it) answers is redacted here, where it enters: an
error body that echoes the bearer token must not carry it into the database, the pages or
a backup (``recado.redaction``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from recado.outbound import ClientPool
from recado.redaction import redact, redact_json
from recado.rules.graph_results import Accepted, NotSent, Rejected, SendResult, Unknown
from recado.rules.json_depth import depth_ok

__all__ = [
    "Accepted",
    "Connection",
    "GraphClient",
    "NotSent",
    "Rejected",
    "SendResult",
    "Unknown",
]


@dataclass(frozen=True)
class Connection:
    graph: GraphClient
    client: httpx.AsyncClient

    async def send(self, body: dict[str, Any]) -> SendResult:
        return await self.graph._send(self.client, body)


class GraphClient:
    """Sends over a few keep-alive connections (``recado.outbound.ClientPool``)."""

    def __init__(
        self,
        base_url: str,
        api_version: str,
        phone_number_id: str,
        token: str,
        *,
        timeout_s: float = 15.0,
        connections: int = 8,
    ) -> None:
        self.path = f"/{api_version}/{phone_number_id}/messages"
        self.token = token
        self._pool = ClientPool(base_url, connections, httpx.Timeout(timeout_s, connect=5.0))

    async def aclose(self) -> None:
        await self._pool.aclose()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection of one's own: the sender takes it *before* it commits a job as
        sending, so waiting for a free connection never counts as a request in flight."""
        async with self._pool.client() as client:
            yield Connection(self, client)

    async def send(self, body: dict[str, Any]) -> SendResult:
        async with self.connection() as conn:
            return await conn.send(body)

    async def _send(self, client: httpx.AsyncClient, body: dict[str, Any]) -> SendResult:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = await client.post(self.path, json=body, headers=headers)
        except httpx.ConnectTimeout as exc:
            return NotSent("connect_timeout", _said(exc, "connect timeout"))
        except httpx.ConnectError as exc:
            return NotSent("connect_error", _said(exc, "connection refused"))
        except httpx.PoolTimeout as exc:
            return NotSent("connect_timeout", _said(exc, "no free connection"))
        except httpx.ReadTimeout as exc:
            return Unknown("read_timeout", _said(exc, "no answer before the timeout"))
        except (httpx.WriteError, httpx.WriteTimeout) as exc:
            return Unknown("write_error", _said(exc, "the request was cut while being written"))
        except httpx.HTTPError as exc:
            return Unknown("dropped", redact(f"{type(exc).__name__}: {exc}"))
        text = redact(response.text)
        try:
            # Too deep an answer would make the decoder recurse: it is no answer at all.
            # Redacted again once decoded: a JSON escape (\u0041) can spell a secret the
            # raw text did not show.
            answer = redact_json(json.loads(text)) if depth_ok(response.content) else None
        except (ValueError, RecursionError):
            answer = None
        if response.is_success:
            accepted = _accepted(answer)
            if accepted is None:
                # 2xx without a wamid: it may have been accepted; never send it again blindly.
                return Unknown("bad_answer", f"HTTP {response.status_code} without a message id")
            return accepted
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            return Rejected(response.status_code, None, None, None, text[:500], answer)
        raw_data = error.get("error_data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        return Rejected(
            response.status_code,
            error.get("code") if isinstance(error.get("code"), int) else None,
            error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None,
            error.get("is_transient") if isinstance(error.get("is_transient"), bool) else None,
            str(data.get("details") or error.get("message") or ""),
            answer,
        )


def _accepted(answer: Any) -> Accepted | None:
    """The wamid (and the client's id) of a 2xx answer; None when it has none."""
    try:
        message = answer["messages"][0]
        contacts = answer.get("contacts") or [{}]
        return Accepted(message["id"], contacts[0].get("wa_id"), answer)
    except (TypeError, KeyError, IndexError, AttributeError):
        return None


def _said(exc: Exception, fallback: str) -> str:
    return redact(str(exc)) or fallback
