"""Operator views and actions for the integration hub (CONTRACT §7, §8): the DLQ, the
circuit breakers, the sync jobs and the daily report. Every action is audited in the same
transaction that carries it out."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from quart import Quart, Response, jsonify

from recado.clock import iso
from recado.http.auth import client_ip
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.params import query_choice, query_day, query_int
from recado.http.views import respond
from recado.rules.bounds import SQL_INT_MAX, sql_int_ok
from recado.rules.states import DLQ_STATES
from recado.runtime.context import Daemon
from recado.storage import deliveries as dq
from recado.storage import sync as sq
from recado.storage.audit import record_audit
from recado.storage.messages import messages_by_state

PER_PAGE_MAX = 500


def install_hub_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    def tz() -> ZoneInfo:
        return ZoneInfo(daemon.config.daemon.timezone)

    @app.get("/dlq")
    @app.get("/dlq.json")
    async def dlq() -> Response:
        state = query_choice("state", DLQ_STATES, "dead")
        per_page = query_int("per_page", 50, maximum=PER_PAGE_MAX)
        # The offset must fit SQLite's 64 bits too.
        page = query_int("page", 1, maximum=SQL_INT_MAX // per_page)
        total, rows = await daemon.storage.read(dq.dlq_page, state, per_page, (page - 1) * per_page)
        items = [
            {
                "id": r["id"],
                "event_id": r["event_id"],
                "destination": r["action"],
                "service": r["service"],
                "reason": r["last_error"],
                "last_status": r["last_status"],
                "attempts": r["attempts"],
                "created_at": r["created_at"],
                "dead_at": r["dead_at"],
            }
            for r in rows
        ]
        data = {"state": state, "page": page, "per_page": per_page, "total": total, "items": items}
        return await respond("dlq.html", data)

    @app.get("/dlq/<rowid:delivery_id>")
    @app.get("/dlq/<rowid:delivery_id>.json")
    async def dlq_item(delivery_id: int) -> Response:
        detail = await daemon.storage.read(dq.delivery_detail, delivery_id)
        if detail is None:
            return json_error(404, "not_found", f"no delivery {delivery_id}")
        return await respond("delivery.html", detail)

    @app.get("/events/<event_id>")
    async def event_page(event_id: str) -> Response:
        if event_id.endswith(".json"):
            event_id = event_id.removesuffix(".json")
        event = await daemon.storage.read(dq.event_with_deliveries, event_id)
        if event is None:
            return json_error(404, "not_found", f'no event "{event_id}"')
        return await respond("event.html", event)

    @app.post("/dlq/<rowid:delivery_id>/retry")
    @guarded
    async def dlq_retry(delivery_id: int) -> Response:
        result = await daemon.storage.write(
            _audited, dq.dlq_retry, "dlq.retry", delivery_id, daemon.clock.now(), client_ip()
        )
        if (refusal := _refusal(delivery_id, result)) is not None:
            return refusal
        daemon.after_commit("deliveries")
        return jsonify({"message": "Item queued for retry", "event_id": result["event_id"]})

    @app.post("/dlq/<rowid:delivery_id>/archive")
    @guarded
    async def dlq_archive(delivery_id: int) -> Response:
        result = await daemon.storage.write(
            _audited, dq.dlq_archive, "dlq.archive", delivery_id, daemon.clock.now(), client_ip()
        )
        if (refusal := _refusal(delivery_id, result)) is not None:
            return refusal
        return jsonify({"message": "Item archived", "event_id": result["event_id"]})

    @app.get("/circuit-breakers")
    @app.get("/circuit-breakers.json")
    async def breakers() -> Response:
        return await respond("breakers.html", {"breakers": _breakers(daemon)})

    @app.post("/circuit-breakers/<service>/reset")
    @guarded
    async def breaker_reset(service: str) -> Response:
        if service not in daemon.breakers.states:
            return json_error(404, "not_found", f'no service "{service}" in [[services]]')
        before = daemon.breakers.states[service]
        after = await daemon.breakers.reset(service)
        await daemon.storage.write(
            record_audit,
            daemon.clock.now(),
            "breaker.reset",
            service,
            client_ip(),
            "operator",
            {"from": before.state, "failure_count": before.failure_count},
        )
        daemon.after_commit("deliveries")
        return jsonify(
            {
                "message": "Breaker reset",
                "service": service,
                "state": after.state,
                "failure_count": after.failure_count,
            }
        )

    @app.get("/sync")
    @app.get("/sync.json")
    async def sync() -> Response:
        return await respond("sync.html", {"jobs": await sync_overview(daemon, runs=10)})

    @app.post("/sync/<name>/run")
    @guarded
    async def sync_run(name: str) -> Response:
        outcome = daemon.commands.sync.request_run(name)
        if outcome == "unknown":
            return json_error(404, "not_found", f'no sync job "{name}" in [[sync]]')
        if outcome == "running":
            return json_error(409, "already_running", f'sync job "{name}" is already running')
        await daemon.storage.write(
            record_audit, daemon.clock.now(), "sync.run", name, client_ip(), "operator", {}
        )
        response = jsonify({"message": "Sync run started", "job": name})
        response.status_code = 202
        return response

    @app.post("/sync/<name>/failures/<int:failure_id>/retry")
    @guarded
    async def sync_retry_item(name: str, failure_id: int) -> Response:
        if not daemon.commands.sync.has_job(name):
            return json_error(404, "not_found", f'no sync job "{name}" in [[sync]]')
        result = {"outcome": "not_found"}
        if sql_int_ok(failure_id):
            result = await daemon.commands.sync.retry_item(name, failure_id, client_ip())
        if result["outcome"] == "not_found":
            return json_error(404, "not_found", f'no item {failure_id} set aside by "{name}"')
        if result["outcome"] == "resolved_already":
            return json_error(
                409, "already_resolved", f"item {failure_id} of {name} was already delivered"
            )
        message = {
            "resolved": "Item delivered",
            "refused": "Item refused again",
            "unavailable": "Target unavailable; item kept",
        }[result["outcome"]]
        return jsonify({"message": message, "job": name, "failure_id": failure_id, **result})

    @app.get("/report/daily")
    @app.get("/report/daily.json")
    async def daily_report() -> Response:
        day = query_day("date") or daemon.clock.now().astimezone(tz()).date()
        return await respond("report.html", await report_data(daemon, day))


async def report_data(daemon: Daemon, day: date) -> dict[str, Any]:
    tz = ZoneInfo(daemon.config.daemon.timezone)
    start_dt = datetime(day.year, day.month, day.day, tzinfo=tz)
    start, end = iso(start_dt), iso(start_dt + timedelta(days=1))
    read = daemon.storage.read
    deliveries = await read(dq.delivery_report, start, end)
    return {
        "date": day.isoformat(),
        "events": await read(dq.event_outcomes, start, end),
        "deliveries": {"total": deliveries["total"], "success": deliveries["success"]},
        # Every configured job, with zeros on a day it did not run.
        "sync_jobs": {j.name: {"total": 0, "success": 0} for j in daemon.config.sync}
        | await read(sq.report, start, end),
        "dead_letter_added": deliveries["dead_letter_added"],
        "messages": await read(messages_by_state, start, end),
    }


async def sync_overview(daemon: Daemon, runs: int = 0) -> dict[str, Any]:
    names = [j.name for j in daemon.config.sync]
    summary = await daemon.storage.read(sq.summary, names, daemon.clock.now())
    runner = daemon.commands.sync
    for job in daemon.config.sync:
        item = summary[job.name]
        nxt = runner.next_fire(job.name)
        item |= {
            "schedule": job.schedule,
            "next_run": iso(nxt) if nxt else None,
            "running": runner.running(job.name),
        }
        if runs:
            item["runs"] = await daemon.storage.read(sq.runs, job.name, runs)
            failures = await daemon.storage.read(sq.open_failures, job.name)
            item["failures"] = [_failure(f, daemon.config.ui.locale) for f in failures]
    return summary


def _failure(row: dict[str, Any], locale: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "item_key": row["item_key"],
        "item_json": row["item_json"],
        "reason_code": row["reason_code"],
        "reason": row["reason_en"] if locale == "en" else row["reason_pt"],
        "status_code": row["status_code"],
        "attempts": row["attempts"],
        "run_id": row["run_id"],
        "at": row["at"],
    }


def _breakers(daemon: Daemon) -> dict[str, Any]:
    return daemon.breakers.snapshot(daemon.clock.now())


def _audited(
    conn: sqlite3.Connection, action: Any, name: str, delivery_id: int, now: datetime, ip: str
) -> dict[str, Any]:
    result: dict[str, Any] = action(conn, delivery_id, now)
    if result["outcome"] in ("queued", "archived"):
        record_audit(
            conn, now, name, str(delivery_id), ip, "operator", {"event_id": result["event_id"]}
        )
    return result


def _refusal(delivery_id: int, result: dict[str, Any]) -> Response | None:
    if result["outcome"] == "not_found":
        return json_error(404, "not_found", f"no delivery {delivery_id}")
    if result["outcome"] == "wrong_state":
        return json_error(
            409,
            "not_in_dlq",
            f"delivery {delivery_id} is {result['state']}, not dead: only DLQ items can do that",
        )
    return None
