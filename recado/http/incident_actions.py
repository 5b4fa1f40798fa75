"""Incident actions on the operator listener (``X-API-Key`` or the page's token): open one by
hand, post the 30-minute update with its public note, resolve (409 with the reason while the
flow has not been normal for 30 minutes, unless forced with a reason), record the lessons
learned, and the SOP's mitigations (restart the actors, reconnect WhatsApp, kill switch,
contingency reply).
Each is audited in the transaction that carries it out.

Bodies are JSON for scripts and the CLI, or the page's form fields (checkboxes as ``on``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Quart, Response, jsonify, request

from recado.clock import parse_iso
from recado.http.auth import client_ip, json_body
from recado.http.csrf import FORM_TYPES, require_operator
from recado.http.errors import json_error
from recado.http.incident_pages import incident_view
from recado.rules import incident_sla as sla
from recado.rules.incident_triggers import MANUAL
from recado.rules.status_note import MAX_NOTE_CHARS
from recado.runtime.context import Daemon
from recado.runtime.incident_settings import contingency_text, incident_settings
from recado.storage.incident_closing import complete_postmortem, resolve_incident
from recado.storage.incident_records import load_incident
from recado.storage.incidents import (
    ACTIONS,
    NewIncident,
    incident_action,
    open_incident,
    post_update,
)
from recado.whatsapp.token_check import check_token

TITLE_MAX = 200
# Supervised tasks that "restart the actors" leaves alone: the storage writer and the
# listeners answering this very request.
_NOT_RESTARTED = ("storage", "http_public", "http_operator")


class Invalid(Exception):
    def __init__(self, name: str, expected: str) -> None:
        self.name = name
        self.expected = expected
        super().__init__(f"{name}: {expected}")


async def _body(fields: tuple[str, ...]) -> dict[str, Any] | Response:
    if request.mimetype in FORM_TYPES:
        form = await request.form
        return {k: v for k, v in form.items() if k not in ("csrf_token", "next")}
    return await json_body(fields)


def _text(body: dict[str, Any], name: str, *, required: bool, max_len: int) -> str | None:
    """A text field, stripped; None when absent, "" when given empty (optional ones)."""
    value = body.get(name)
    if value is None and not required:
        return None
    if value is not None and (
        not isinstance(value, str) or len(value) > max_len or "\x00" in value
    ):
        raise Invalid(name, f"expected a text of at most {max_len} characters")
    text = (value or "").strip()
    if required and not text:
        raise Invalid(name, "required (expected a text)")
    return text


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("on", "true", "1", ""):
        return value != ""
    raise Invalid(name, "expected true or false")


def _choice(body: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value in ("", None):
        return default
    if not isinstance(value, str) or value not in choices:
        raise Invalid(name, f"expected one of: {', '.join(choices)}")
    return value


def install_incident_actions(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.errorhandler(Invalid)
    async def invalid(exc: Invalid) -> Response:
        return json_error(
            422,
            "invalid_field",
            f"{exc.name}: {exc.expected}",
            pt=f"o campo {exc.name} não está certo ({exc.expected})",
            field=exc.name,
        )

    def reason(result: dict[str, Any]) -> str:
        en = daemon.config.ui.locale == "en"
        return str(result.get("reason_en" if en else "reason_pt", ""))

    async def answer(incident_id: int, result: dict[str, Any], status: int = 200) -> Response:
        daemon.after_commit("deliveries", "sender")
        incident = await daemon.storage.read(load_incident, incident_id)
        assert incident is not None
        response = jsonify({**result, "id": incident_id, "incident": _json(incident)})
        response.status_code = status
        return response

    def refused(result: dict[str, Any], incident_id: int) -> Response | None:
        outcome = result["outcome"]
        if outcome == "not_found":
            return json_error(
                404,
                "not_found",
                f"no incident {incident_id}",
                pt=f"não há o incidente {incident_id}",
            )
        if outcome == "resolved_already":
            return json_error(
                409,
                "resolved",
                f"incident {incident_id} is already resolved",
                pt=f"o incidente {incident_id} já está resolvido",
            )
        return None

    @app.post("/incidents")
    @guarded
    async def open_by_hand() -> Response:
        body = await _body(("severity", "priority", "title", "description"))
        if isinstance(body, Response):
            return body
        severity = _choice(body, "severity", sla.SEVERITIES, "sev2")
        priority = _choice(body, "priority", sla.PRIORITIES, sla.default_priority(severity))
        problem = sla.priority_problem(severity, priority)
        if problem is not None:
            return json_error(422, "invalid_field", problem, field="priority")
        title = _text(body, "title", required=True, max_len=TITLE_MAX)
        description = _text(body, "description", required=False, max_len=MAX_NOTE_CHARS)
        now = daemon.clock.now()
        new = NewIncident(
            cause=MANUAL,
            severity=severity,
            priority=priority,
            title=title or "",
            description=description or "",
            started_at=now,
            opened_by="operator",
            source_ip=client_ip(),
        )
        incident = await daemon.storage.write(open_incident, new, now, incident_settings(daemon))
        return await answer(incident.id, {"outcome": "opened"}, 201)

    @app.post("/incidents/<rowid:incident_id>/update")
    @guarded
    async def update(incident_id: int) -> Response:
        body = await _body(("note", "public_note", "mitigated"))
        if isinstance(body, Response):
            return body
        note = _text(body, "note", required=False, max_len=MAX_NOTE_CHARS)
        public_note = _text(body, "public_note", required=False, max_len=MAX_NOTE_CHARS)
        mitigated = _flag(body, "mitigated")
        if not note and not public_note:
            raise Invalid("note", "required (expected a text, or a public_note)")
        result = await daemon.storage.write(
            post_update,
            incident_id,
            note or "",
            public_note,
            mitigated,
            daemon.clock.now(),
            incident_settings(daemon),
            client_ip(),
        )
        return refused(result, incident_id) or await answer(incident_id, result)

    @app.post("/incidents/<rowid:incident_id>/resolve")
    @guarded
    async def resolve(incident_id: int) -> Response:
        body = await _body(("root_cause", "corrective_actions", "force", "reason"))
        if isinstance(body, Response):
            return body
        root_cause = _text(body, "root_cause", required=True, max_len=MAX_NOTE_CHARS)
        corrective = _text(body, "corrective_actions", required=True, max_len=MAX_NOTE_CHARS)
        force = _flag(body, "force")
        force_reason = _text(body, "reason", required=force, max_len=MAX_NOTE_CHARS)
        now = daemon.clock.now()
        result = await daemon.storage.write(
            resolve_incident,
            incident_id,
            root_cause or "",
            corrective or "",
            force,
            force_reason or "",
            now,
            incident_settings(daemon),
            client_ip(),
        )
        if (early := refused(result, incident_id)) is not None:
            return early
        if result["outcome"] == "not_normal":
            return json_error(
                409,
                "flow_not_normal",
                reason(result),
                pt=str(result["reason_pt"]),
                ready_at=result["ready_at"],
            )
        incident = await daemon.storage.read(load_incident, incident_id)
        assert incident is not None
        seconds = (now - parse_iso(incident.started_at)).total_seconds()
        daemon.metrics.incident_time_to_resolve.labels(incident.severity).observe(seconds)
        return await answer(incident_id, result)

    @app.post("/incidents/<rowid:incident_id>/postmortem")
    @guarded
    async def postmortem(incident_id: int) -> Response:
        body = await _body(("lessons_learned",))
        if isinstance(body, Response):
            return body
        lessons = _text(body, "lessons_learned", required=True, max_len=MAX_NOTE_CHARS)
        result = await daemon.storage.write(
            complete_postmortem, incident_id, lessons or "", daemon.clock.now(), client_ip()
        )
        if result["outcome"] == "not_found":
            return json_error(
                404,
                "not_found",
                f"incident {incident_id} has no post-mortem (not resolved)",
                pt=f"o incidente {incident_id} não tem post-mortem (não está resolvido)",
            )
        return await answer(incident_id, result)

    @app.post("/incidents/<rowid:incident_id>/actions/<action>")
    @guarded
    async def act(incident_id: int, action: str) -> Response:
        if action not in ACTIONS:
            return json_error(
                404,
                "not_found",
                f'no action "{action[:40]}" (expected one of: {", ".join(ACTIONS)})',
            )
        detail: dict[str, Any] = {}
        if action == "contingency_on" and not contingency_text(daemon.config):
            return json_error(
                409,
                "no_alternative_channel",
                "incidents.contingency_contact is not set: the reply would name no channel "
                "(set the e-mail or phone clients should use, and reload)",
                pt="incidents.contingency_contact não está definido: a resposta não diria por "
                "onde falar com o estúdio (defina o e-mail ou telefone e recarregue)",
            )
        current = await daemon.storage.read(load_incident, incident_id)
        if current is None:
            return json_error(
                404,
                "not_found",
                f"no incident {incident_id}",
                pt=f"não há o incidente {incident_id}",
            )
        if current.state == sla.RESOLVED:
            return json_error(
                409,
                "resolved",
                f"incident {incident_id} is already resolved",
                pt=f"o incidente {incident_id} já está resolvido",
            )
        if action == "restart_actors":
            names = [n for n in daemon.supervisor.actors if n not in _NOT_RESTARTED]
            detail["restarted"] = [n for n in names if daemon.supervisor.restart(n)]
        if action == "reconnect_whatsapp":
            wa = daemon.config.whatsapp
            creds = daemon.whatsapp_credentials()
            if creds is None:
                return json_error(
                    409,
                    "not_configured",
                    "no WhatsApp token is in force (no active connection, no "
                    "whatsapp.access_token_file with whatsapp.phone_number_id): connect "
                    "WhatsApp at /connect/whatsapp or set the token file, then restart",
                    pt="nenhum token do WhatsApp em uso: conecte o WhatsApp em /connect/whatsapp "
                    "ou configure o arquivo do token e reinicie",
                )
            # The token sends use (the connection's, else the config file's), checked now.
            found = await check_token(
                wa.graph_base_url, wa.api_version, creds.phone_number_id, creds.token
            )
            detail.update(token=found.verdict, detail=found.detail, source=creds.source)
            if found.verdict == "refused" and creds.source == "connection":
                # A 190 on any call loses the connection (reference §9.7), this one too.
                await daemon.commands.connection.read_refused(
                    creds,
                    "number",
                    f"graph_{found.graph_code}",
                    "A Meta recusou o token da conexão na verificação do incidente.",
                    "Meta refused the connection's token at the incident's check.",
                )
        result = await daemon.storage.write(
            incident_action,
            incident_id,
            action,
            daemon.clock.now(),
            incident_settings(daemon),
            client_ip(),
            detail,
        )
        if (early := refused(result, incident_id)) is not None:
            return early
        if action in ("kill_switch_on", "kill_switch_off"):
            daemon.kill_switch_override = action == "kill_switch_on"
        if action == "reconnect_whatsapp" and detail["token"] == "accepted":
            daemon.sending_paused = None
        return await answer(incident_id, {**result, **detail})


def _json(incident: Any) -> dict[str, Any]:
    return msgspec.to_builtins(incident_view(incident))  # type: ignore[no-any-return]
