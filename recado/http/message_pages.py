"""Operator views and actions for messages (CONTRACT §8): list, timeline, retry, discard,
and the kill switch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from quart import Quart, Response, jsonify, request

from recado.clock import from_unix, iso, parse_iso
from recado.http.auth import client_ip, json_body
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.params import BadParam, ascii_digits, query_choice, query_day, query_int
from recado.http.views import respond
from recado.rules import message_reasons
from recado.rules.instants import parse_instant
from recado.rules.kinds import MESSAGE_KINDS as KINDS
from recado.rules.message_retry import refusal_text
from recado.rules.states import MESSAGE_STATES as STATES
from recado.rules.status_order import reason_text
from recado.runtime.context import Daemon
from recado.storage.audit import record_audit
from recado.storage.messages import act_on_message, list_messages, message_actions, message_detail
from recado.storage.settings import KILL_SWITCH, set_setting


def install_message_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    def tz() -> ZoneInfo:
        return ZoneInfo(daemon.config.daemon.timezone)

    def local(value: str | int | None) -> str | None:
        if value is None:
            return None
        dt = from_unix(value) if isinstance(value, int) else parse_iso(value)
        return dt.astimezone(tz()).strftime("%d/%m/%Y %H:%M") if dt else "—"

    @app.get("/messages")
    @app.get("/messages.json")
    async def messages() -> Response:
        state, kind = query_choice("state", STATES), query_choice("kind", KINDS)
        day_start = day_end = None
        if (day := query_day("date")) is not None:
            start = datetime(day.year, day.month, day.day, tzinfo=tz())
            day_start, day_end = iso(start), iso(start + timedelta(days=1))
        phone = (request.args.get("phone") or "").lstrip("+") or None
        if phone is not None and not ascii_digits(phone, 20):
            raise BadParam("phone", "expected the client's number, digits only")
        limit = query_int("limit", 50, maximum=500)
        before = _cursor()
        items = await daemon.storage.read(
            lambda conn: list_messages(
                conn,
                state=state,
                kind=kind,
                day_start=day_start,
                day_end=day_end,
                phone=phone,
                before=before,
                limit=limit,
            )
        )
        locale = daemon.config.ui.locale
        for item in items:
            item["reason_text"] = message_reasons.reason_text(item["reason"], locale, tz())
            item["created_local"] = local(item["created_at"])
        next_before = (items[-1]["created_at"] + items[-1]["id"]) if len(items) == limit else None
        return await respond("messages.html", {"items": items, "next_before": next_before})

    @app.get("/messages/<message_id>")
    async def message(message_id: str) -> Response:
        message_id = message_id.removesuffix(".json")
        detail = await daemon.storage.read(message_detail, message_id)
        if detail is None:
            return json_error(404, "not_found", f"no message {message_id}")
        locale = daemon.config.ui.locale
        actions = await daemon.storage.read(message_actions, message_id, daemon.clock.now())
        for verdict in actions.values():
            verdict["why_not"] = (
                None if verdict["allowed"] else refusal_text(verdict["reason"], locale)
            )
        return await respond(
            "message.html", {**_timeline(detail, locale, local, tz()), "actions": actions}
        )

    @app.post("/messages/<message_id>/retry")
    @guarded
    async def retry(message_id: str) -> Response:
        return await _act(daemon, message_id, "retry")

    @app.post("/messages/<message_id>/discard")
    @guarded
    async def discard(message_id: str) -> Response:
        return await _act(daemon, message_id, "discard")

    @app.post("/whatsapp/kill-switch")
    @guarded
    async def kill_switch() -> Response:
        body = await json_body()
        if isinstance(body, Response):
            return body
        on = body.get("on")
        if not isinstance(on, bool):
            return json_error(422, "invalid_field", "on: expected true or false")
        now = daemon.clock.now()
        await daemon.storage.write(set_setting, KILL_SWITCH, on, now)
        daemon.kill_switch_override = on
        await daemon.storage.write(
            record_audit,
            now,
            "whatsapp.kill_switch",
            "on" if on else "off",
            client_ip(),
            "operator",
            {"on": on},
        )
        daemon.after_commit("sender")
        return jsonify(
            {
                "kill_switch": daemon.kill_switch_on,
                "from_config": daemon.config.whatsapp.kill_switch,
            }
        )


def _cursor() -> str | None:
    """``before``: the ``next_before`` of a previous page, a stored time then a message id."""
    raw = request.args.get("before") or None
    if raw is not None:
        try:
            parse_instant(raw[:24])
            if not raw.isascii() or len(raw) > 224:
                raise ValueError(raw)
        except ValueError:
            raise BadParam("before", "expected the next_before value of a previous page") from None
    return raw


async def _act(daemon: Daemon, message_id: str, action: str) -> Response:
    result = await daemon.storage.write(
        act_on_message,
        action,
        message_id,
        daemon.clock.now(),
        daemon.config.whatsapp.reminder_hours_before,
        client_ip(),
    )
    if result["outcome"] == "not_found":
        return json_error(404, "not_found", f"no message {message_id}")
    if result["outcome"] == "refused":
        return json_error(
            409,
            "not_allowed",
            refusal_text(result["reason"], daemon.config.ui.locale),
            reason=result["reason"],
            state=result["state"],
        )
    daemon.after_commit("sender")
    return jsonify(
        {"id": message_id, "state": result["state"], "previous_state": result["previous_state"]}
    )


def _timeline(detail: dict[str, Any], locale: str, local: Any, tz: ZoneInfo) -> dict[str, Any]:
    m = detail["message"]
    events: list[dict[str, Any]] = [
        {"at": m["created_at"], "local": local(m["created_at"]), "what": "queued"}
    ]
    for a in detail["attempts"]:
        answer = a["answer"] if isinstance(a["answer"], dict) else {}
        raw_error = answer.get("error")
        # Graph errors are objects; a proxy's bare 5xx may carry anything.
        error = (
            {"code": raw_error.get("code"), "message": raw_error.get("message")}
            if isinstance(raw_error, dict)
            else ({"code": None, "message": str(raw_error)} if raw_error else None)
        )
        events.append(
            {
                "at": a["started_at"],
                "local": local(a["started_at"]),
                "what": "attempt",
                "n": a["n"],
                "outcome": a["outcome"],
                "dry_run": a["dry_run"],
                "to": a["to_number"],
                "request": a["request"],
                "http_status": a["http_status"],
                "wamid": a["wamid"],
                "error": error,
            }
        )
    for s in detail["statuses"]:
        events.append(
            {
                "at": iso(at) if (at := from_unix(s["ts"])) else "",
                "local": local(s["ts"]),
                "what": "status",
                "status": s["status"],
                "applied": s["outcome"] == "applied",
                "outcome": s["outcome"],
                "reason": reason_text(s["ignored_reason"], locale),
            }
        )
    # Meta's timestamps are whole seconds: within a second, a status follows the attempt.
    order = {"queued": 0, "attempt": 1, "status": 2}
    events.sort(key=lambda e: (e["at"][:19], order[e["what"]]))
    text = message_reasons.reason_text(m["reason"], locale, tz)
    return {"message": {**m, "reason_text": text}, "timeline": events}
