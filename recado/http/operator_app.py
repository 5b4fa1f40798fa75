"""The operator app: pages, JSON and actions for the studio's staff (private listener)."""

from __future__ import annotations

from pathlib import Path

import msgspec
from quart import Response, jsonify, redirect, request
from quart_trio import QuartTrio
from werkzeug.wrappers.response import Response as WerkzeugResponse

from recado.clock import iso
from recado.http.alert_pages import install_alert_pages
from recado.http.api_operator import OPERATOR_ROUTES
from recado.http.appointment_pages import install_appointment_pages
from recado.http.audit_pages import install_audit_pages
from recado.http.auth import client_ip, json_body
from recado.http.backup_pages import install_backup_pages
from recado.http.bodies import install_body_drain
from recado.http.breaker_pages import install_breaker_pages
from recado.http.common import install_probes
from recado.http.connect_pages import install_connect_pages
from recado.http.conversation_index_pages import install_conversation_index
from recado.http.conversation_reply import install_conversation_reply
from recado.http.csrf import install_csrf, require_operator
from recado.http.csv_exports import install_csv_exports
from recado.http.dashboard import dashboard_data
from recado.http.dlq_pages import install_dlq_pages
from recado.http.empty_states import install_empty_states
from recado.http.error_pages import install_error_pages
from recado.http.errors import install_error_handlers, json_error
from recado.http.host_guard import install_host_guard
from recado.http.i18n import install_i18n
from recado.http.incident_actions import install_incident_actions
from recado.http.incident_pages import install_incident_pages
from recado.http.message_pages import install_message_pages
from recado.http.openapi import install_openapi
from recado.http.params import install_params
from recado.http.report_pages import install_report_pages
from recado.http.sync_pages import install_sync_pages
from recado.http.template_pages import install_template_pages
from recado.http.views import respond
from recado.http.webhook_pages import install_webhook_pages
from recado.logs import get_logger
from recado.runtime.context import Daemon
from recado.runtime.reload import reload_config
from recado.storage.audit import record_audit
from recado.storage.backup import BackupFailed
from recado.storage.counts import hub_counts

log = get_logger("operator")

PATH_MAX = 4096
BREAKER_GAUGE = {"closed": 0, "half_open": 1, "open": 2}


def create_operator_app(daemon: Daemon) -> QuartTrio:
    app = QuartTrio("recado.operator", root_path=str(Path(__file__).parent))
    # Operator bodies are small JSON or forms; bounded like the public ones.
    app.config["MAX_CONTENT_LENGTH"] = daemon.config.http.max_body_bytes
    # First: a request addressed to another site's name reaches no page and no action.
    install_host_guard(app, daemon)
    install_params(app)
    install_body_drain(app)
    install_error_handlers(app)
    install_error_pages(app, daemon)
    install_probes(app, daemon, "operator")
    install_i18n(app, daemon)
    install_empty_states(app, daemon)
    install_csrf(app, daemon.secret_key)
    install_webhook_pages(app, daemon)
    install_conversation_index(app, daemon)
    install_message_pages(app, daemon)
    install_conversation_reply(app, daemon)
    install_dlq_pages(app, daemon)
    install_breaker_pages(app, daemon)
    install_sync_pages(app, daemon)
    install_report_pages(app, daemon)
    install_csv_exports(app, daemon)
    install_alert_pages(app, daemon)
    install_appointment_pages(app, daemon)
    install_audit_pages(app, daemon)
    install_backup_pages(app, daemon)
    install_incident_pages(app, daemon)
    install_incident_actions(app, daemon)
    install_connect_pages(app, daemon)
    install_template_pages(app, daemon)
    install_openapi(
        app,
        OPERATOR_ROUTES,
        title="recado operator listener",
        description="The studio's pages as JSON, the operator actions, metrics and probes.",
    )
    guarded = require_operator(lambda: daemon.api_key)

    @app.after_request
    async def log_action(response: Response) -> Response:
        # Every operator action, from a page, a script or the CLI, leaves one journal line.
        if request.method == "POST":
            log.info(
                "operator_action" if response.status_code < 400 else "operator_action_refused",
                path=request.path,
                status=response.status_code,
                remote_ip=client_ip(),
            )
        return response

    @app.get("/")
    async def index() -> WerkzeugResponse:
        return redirect("/dashboard")

    @app.get("/dashboard")
    @app.get("/dashboard.json")
    async def dashboard() -> Response:
        return await respond("dashboard.html", await dashboard_data(daemon))

    @app.get("/metrics")
    async def metrics() -> Response:
        m = daemon.metrics
        for name, status in daemon.supervisor.actors.items():
            m.actor_restarts.labels(name).set(status.restarts)
        m.storage_batches.set(daemon.storage.stats.batches)
        m.storage_writes.set(daemon.storage.stats.writes)
        fault = daemon.storage.fault
        m.set_storage_fault(fault.kind if fault else None, daemon.storage.stats.commit_failures)
        hub = await daemon.storage.read(hub_counts, iso(daemon.clock.now()))
        m.hub_queue.labels("retry").set(hub.retry_total)
        m.hub_queue.labels("dead").set(hub.dead_total)
        m.hub_queue.labels("pending_events").set(hub.pending_events)
        for service, b in daemon.breakers.states.items():
            m.breaker_state.labels(service).set(BREAKER_GAUGE[b.state])
        return Response(m.render(), content_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/backup")
    @guarded
    async def backup() -> Response:
        body = await json_body(("path",))
        if isinstance(body, Response):
            return body
        raw = body.get("path")
        if not isinstance(raw, str) or not raw or "\x00" in raw or len(raw) > PATH_MAX:
            return json_error(
                422, "invalid_field", "path: required (expected a file path)", field="path"
            )
        dest = Path(raw)
        if not dest.is_absolute():
            dest = daemon.data_dir / dest
        try:
            result = await daemon.storage.backup(dest)
        except FileExistsError as exc:
            return json_error(409, "exists", str(exc))
        except BackupFailed as exc:
            # The operator's chosen place cannot take the file (full, no such directory, no
            # permission, a file where a directory should be): theirs to change; the
            # database itself is fine, so this is never the storage fault's 503.
            return json_error(
                507 if exc.no_space else 422, "backup_failed", f"path: {exc}", field="path"
            )
        except OSError as exc:
            return json_error(
                422, "backup_failed", f"path: cannot write a backup at {dest}: {exc}", field="path"
            )
        except RuntimeError as exc:
            return json_error(500, "backup_failed", str(exc))
        await daemon.storage.write(
            record_audit,
            daemon.clock.now(),
            "backup",
            str(dest),
            client_ip(),
            "operator",
            {"bytes": result.bytes},
        )
        return jsonify(msgspec.to_builtins(result))

    @app.post("/config/reload")
    @guarded
    async def config_reload() -> Response:
        result = await reload_config(daemon, source=f"http {client_ip()}")
        response = jsonify(result)
        response.status_code = 422 if "error" in result else 200
        return response

    return app
