"""``GET /alerts``: what the daemon raised for a person to look at (docs/reference.md §9.2)."""

from __future__ import annotations

import msgspec
from quart import Quart, Response

from recado.http.i18n import page_locale
from recado.http.params import query_flag
from recado.http.views import respond
from recado.rules.locale import pick
from recado.runtime.context import Daemon
from recado.storage.alerts import list_alerts


class AlertItem(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: str
    severity: str
    code: str
    subject: str
    text: str  # in the studio's language
    resolved_at: str | None


class AlertsPage(msgspec.Struct, frozen=True, kw_only=True):
    all: bool  # resolved ones listed too
    items: list[AlertItem]


async def alerts_data(daemon: Daemon, everything: bool) -> AlertsPage:
    rows = await daemon.storage.read(list_alerts, everything)
    locale = page_locale(daemon)
    items = [
        AlertItem(
            id=r.id,
            at=r.at,
            severity=r.severity,
            code=r.code,
            subject=r.subject,
            text=pick(locale, r.text_pt, r.text_en),
            resolved_at=r.resolved_at,
        )
        for r in rows
    ]
    return AlertsPage(all=everything, items=items)


def install_alert_pages(app: Quart, daemon: Daemon) -> None:
    @app.get("/alerts")
    @app.get("/alerts.json")
    async def alerts() -> Response:
        return await respond("alerts.html", await alerts_data(daemon, query_flag("all")))
