"""``GET /alerts``: what the daemon raised for a person to look at (CONTRACT §8)."""

from __future__ import annotations

from quart import Quart, Response, request

from recado.http.views import respond
from recado.runtime.context import Daemon
from recado.storage.alerts import list_alerts


def install_alert_pages(app: Quart, daemon: Daemon) -> None:
    @app.get("/alerts")
    @app.get("/alerts.json")
    async def alerts() -> Response:
        everything = request.args.get("all") in ("1", "true", "yes")
        rows = await daemon.storage.read(list_alerts, everything)
        en = daemon.config.ui.locale == "en"
        items = [
            {
                "id": r["id"],
                "at": r["at"],
                "severity": r["severity"],
                "code": r["code"],
                "subject": r["subject"],
                "text": r["text_en"] if en else r["text_pt"],
                "resolved_at": r["resolved_at"],
            }
            for r in rows
        ]
        return await respond("alerts.html", {"all": everything, "items": items})
