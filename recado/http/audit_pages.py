"""``GET /audit``: the append-only log of every operator action, newest first
(docs/reference.md §9.2)."""

from __future__ import annotations

import msgspec
from quart import Quart, Response

from recado.http.params import query_limit
from recado.http.views import respond
from recado.runtime.context import Daemon
from recado.storage.audit import AuditEntry, list_audit


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[AuditEntry]


async def audit_data(daemon: Daemon, limit: int) -> AuditPage:
    return AuditPage(items=await daemon.storage.read(list_audit, limit))


def install_audit_pages(app: Quart, daemon: Daemon) -> None:
    @app.get("/audit")
    @app.get("/audit.json")
    async def audit() -> Response:
        return await respond("audit.html", await audit_data(daemon, query_limit("limit", 100)))
