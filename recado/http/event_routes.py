"""``POST /api/v1/events`` (docs/reference.md §4.3): validated, committed, then answered."""

from __future__ import annotations

from quart import Quart, Response, jsonify, request

from recado.events.payloads import Appointment, EventInvalid, validate_event
from recado.http.auth import client_ip, require_api_key
from recado.http.errors import json_error
from recado.logs import get_logger
from recado.runtime.context import Daemon
from recado.storage.events import JobSettings, record_event

log = get_logger("events")


def install_event_routes(app: Quart, daemon: Daemon) -> None:
    guarded = require_api_key(lambda: daemon.api_key)

    @app.post("/api/v1/events")
    @guarded
    async def events() -> Response:
        raw: bytes = await request.get_data(cache=False, as_text=False, parse_form_data=False)
        try:
            event = validate_event(raw)
        except EventInvalid as exc:
            if exc.code != "invalid_field":
                return json_error(400, exc.code, exc.text, field="body")
            return json_error(
                422,
                "invalid_field",
                exc.text,
                field=exc.field,
                problems=[{"field": f, "detail": d} for f, d in exc.problems],
            )
        cfg = daemon.config
        settings = JobSettings(
            cfg.whatsapp.mode,
            cfg.whatsapp.reminder_hours_before,
            cfg.studio.location_line,
            daemon.flows,
        )
        recorded = await daemon.storage.write(
            record_event, event, daemon.clock.now(), settings, client_ip()
        )
        outcome = recorded.outcome
        if outcome == "conflict":
            return json_error(
                409,
                "conflict",
                f'event "{event.id}" was already accepted with a different body',
            )
        if outcome == "duplicate":
            return jsonify({"id": event.id, "status": "duplicate"})
        daemon.after_commit("sender", "deliveries")
        body: dict[str, object] = {"id": event.id, "status": "accepted"}
        if isinstance(event.appointment, Appointment) and cfg.whatsapp.mode == "disabled":
            body["messages_planned"] = 0
            body["detail"] = (
                'whatsapp.mode is "disabled": no WhatsApp messages were planned for this '
                "appointment; they are planned when the mode changes to dry_run or enabled"
            )
        log.info(
            "event_accepted",
            event_id=event.id,
            type=event.type,
            messages_planned=recorded.messages_planned,
        )
        response = jsonify(body)
        response.status_code = 202
        return response
