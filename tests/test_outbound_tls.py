"""Outbound clients share one TLS context, and it still checks certificates and host names.

httpx builds a context per client unless given one (certifi's bundle loaded each time, about
25 ms of CPU); the daemon makes eight clients per service in two actors before it is ready.
"""

from __future__ import annotations

import ssl

import httpx

from recado.outbound import ClientPool


def _contexts(pool: ClientPool) -> list[ssl.SSLContext]:
    return [c._transport._pool._ssl_context for c in pool._clients]  # type: ignore[attr-defined]


def test_every_client_of_every_pool_uses_one_verifying_context() -> None:
    pools = [
        ClientPool("https://crm.example", 8, httpx.Timeout(5)),
        ClientPool("https://graph.facebook.com", 4, httpx.Timeout(5), {"X": "y"}),
    ]
    contexts = {id(ctx): ctx for pool in pools for ctx in _contexts(pool)}
    assert len(contexts) == 1
    (ctx,) = contexts.values()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] > 0
