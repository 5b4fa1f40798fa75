"""Is Meta's Graph API reachable from here, and how fast: one cheap GET against
``whatsapp.graph_base_url`` with a short timeout, for the incident page's diagnosis. Any HTTP
answer (a 404 for the bare path included) means reachable; no token is sent."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from recado.redaction import redact

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class GraphProbe:
    reachable: bool
    latency_ms: float | None
    status: int | None
    error: str


async def probe_graph(base_url: str, timeout_s: float = PROBE_TIMEOUT_S) -> GraphProbe:
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
            response = await client.get(base_url.rstrip("/") + "/")
    except httpx.TimeoutException:
        return GraphProbe(False, None, None, f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        return GraphProbe(False, None, None, redact(f"{type(exc).__name__}: {exc}")[:200])
    latency = round((time.perf_counter() - started) * 1000, 1)
    return GraphProbe(True, latency, response.status_code, "")
