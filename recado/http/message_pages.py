"""Operator views and actions for messages (CONTRACT §8): list, timeline, retry, discard,
and the kill switch."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from quart import Quart, Response, jsonify, request

from recado.clock import iso, parse_iso
from recado.daemon.context import Daemon
from recado.http.auth import client_ip, json_body
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.views import respond
from recado.rules.message_retry import refusal_text
from recado.rules.status_order import RANK, SIDE_STATES, reason_text
from recado.storage.audit import record_audit
from recado.storage.messages import act_on_message, list_messages, message_actions, message_detail
from recado.storage.sending import set_setting

STATES = (*RANK, *SIDE_STATES)
KINDS = (
    "appointment_created",
    "appointment_reminder",
    "appointment_canceled",
    "button_reply",
    "contingency_reply",
)


def install_message_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    def tz() -> ZoneInfo:
        return ZoneInfo(daemon.config.daemon.timezone)

    def local(value: str | int | None) -> str | None:
        if value is None:
            return None
        dt = datetime.fromtimestamp(value, tz()) if isinstance(value, int) else parse_iso(value)
        return dt.astimezone(tz()).strftime("%d/%m/%Y %H:%M")

    @app.get("/messages")
    @app.get("/messages.json")
    async def messages() -> Response:
        args = request.args
        state, kind = args.get("state") or None, args.get("kind") or None
        if state is not None and state not in STATES:
            return json_error(422, "invalid_field", f"state: expected one of {', '.join(STATES)}")
        if kind is not None and kind not in KINDS:
            return json_error(422, "invalid_field", f"kind: expected one of {', '.join(KINDS)}")
        day_start = day_end = None
        if args.get("date"):
            try:
                day = date.fromisoformat(args["date"])
            except ValueError:
                return json_error(422, "invalid_field", "date: expected YYYY-MM-DD")
            start = datetime(day.year, day.month, day.day, tzinfo=tz())
            day_start, day_end = iso(start), iso(start + timedelta(days=1))
        phone = (args.get("phone") or "").lstrip("+") or None
        limit = min(max(args.get("limit", 50, type=int) or 50, 1), 500)
        items = await daemon.storage.read(
            lambda conn: list_messages(
                conn,
                state=state,
                kind=kind,
                day_start=day_start,
                day_end=day_end,
                phone=phone,
                before=args.get("before"),
                limit=limit,
            )
        )
        locale = daemon.config.ui.locale
        for item in items:
            item["reason_text"] = (item["reason"] or {}).get(locale) if item["reason"] else None
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
            "message.html", {**_timeline(detail, locale, local), "actions": actions}
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
        await daemon.storage.write(set_setting, "kill_switch", on, now)
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
        if daemon.sender is not None:
            daemon.sender.poke()
        return jsonify(
            {
                "kill_switch": daemon.kill_switch_on,
                "from_config": daemon.config.whatsapp.kill_switch,
            }
        )


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
    if daemon.sender is not None:
        daemon.sender.poke()
    return jsonify(
        {"id": message_id, "state": result["state"], "previous_state": result["previous_state"]}
    )


def _timeline(detail: dict[str, Any], locale: str, local: Any) -> dict[str, Any]:
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
                "at": iso(datetime.fromtimestamp(s["ts"]).astimezone()),
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
    reason = m["reason"] or {}
    return {"message": {**m, "reason_text": reason.get(locale)}, "timeline": events}
