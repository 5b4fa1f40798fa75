"""``GET /alerts``: what the daemon raised for a person to look at, filtered by state (open,
acknowledged, resolved, all) and severity, each linked to what it is about; and the
operator's acknowledge (it stays open, marked with who and when) and resolve (it closes,
kept and listed as resolved), each audited in its own transaction (docs/reference.md §9.2).
"""

from __future__ import annotations

import msgspec
from quart import Quart, Response, jsonify

from recado.http.auth import client_ip
from recado.http.csrf import require_operator
from recado.http.dashboard_glance import AlertLine, alert_line
from recado.http.errors import json_error
from recado.http.i18n import page_locale, translate
from recado.http.params import query_choice, query_flag, query_optional_int
from recado.http.views import respond
from recado.rules.states import ALERT_SEVERITIES
from recado.runtime.context import Daemon
from recado.storage.alerts import (
    ALERT_STATES,
    AlertActed,
    acknowledge_alert,
    filtered_alerts,
    resolve_alert,
)

# Alerts one page lists: each open one carries two forms, and a person reads a page, not
# the history (older ones are a click away).
PAGE_SIZE = 50


class AlertsPage(msgspec.Struct, frozen=True, kw_only=True):
    all: bool  # resolved ones listed too (state "all")
    state: str  # open | acknowledged | resolved | all
    severity: str | None  # critical | warning | info, or None for any
    items: list[AlertLine]
    next_before: int | None = None  # the ``before`` of the next (older) page; None: last


class AlertActedAnswer(msgspec.Struct, frozen=True, kw_only=True):
    outcome: str  # acknowledged | acknowledged_before | resolved
    alert: AlertLine


async def alerts_data(
    daemon: Daemon, state: str, severity: str | None, before: int | None = None
) -> AlertsPage:
    rows = await daemon.storage.read(filtered_alerts, state, severity, PAGE_SIZE, before)
    locale = page_locale(daemon)
    return AlertsPage(
        all=state == "all",
        state=state,
        severity=severity,
        items=[alert_line(r, locale) for r in rows],
        next_before=rows[-1].id if len(rows) == PAGE_SIZE else None,
    )


def install_alert_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/alerts")
    @app.get("/alerts.json")
    async def alerts() -> Response:
        # ``all=1`` (the older link) is the state "all".
        state = query_choice("state", ALERT_STATES, "all" if query_flag("all") else "open")
        severity = query_choice("severity", ALERT_SEVERITIES)
        before = query_optional_int("before")
        assert state is not None  # the default
        return await respond("alerts.html", await alerts_data(daemon, state, severity, before))

    async def answer(alert_id: int, result: AlertActed) -> Response:
        if result.alert is None:
            return json_error(
                404,
                "not_found",
                f"no alert {alert_id}",
                pt=translate("pt-BR", "alert.err.not_found").format(id=alert_id),
            )
        if result.outcome == "resolved_before":
            return json_error(
                409,
                "resolved",
                f"alert {alert_id} is already resolved",
                pt=translate("pt-BR", "alert.err.resolved").format(id=alert_id),
            )
        line = alert_line(result.alert, page_locale(daemon))
        return jsonify(msgspec.to_builtins(AlertActedAnswer(outcome=result.outcome, alert=line)))

    @app.post("/alerts/<rowid:alert_id>/acknowledge")
    @guarded
    async def alert_acknowledge(alert_id: int) -> Response:
        now = daemon.clock.now()
        result = await daemon.storage.write(acknowledge_alert, alert_id, now, client_ip())
        return await answer(alert_id, result)

    @app.post("/alerts/<rowid:alert_id>/resolve")
    @guarded
    async def alert_resolve(alert_id: int) -> Response:
        now = daemon.clock.now()
        result = await daemon.storage.write(resolve_alert, alert_id, now, client_ip())
        return await answer(alert_id, result)
