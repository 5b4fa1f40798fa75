"""The public app: what Meta and the studio's systems reach (webhooks, events, voucher)."""

from __future__ import annotations

from pathlib import Path

from quart_trio import QuartTrio

from recado.http.api_public import PUBLIC_ROUTES
from recado.http.bodies import install_body_drain
from recado.http.common import install_probes
from recado.http.error_pages import install_public_error_pages
from recado.http.errors import install_error_handlers
from recado.http.event_routes import install_event_routes
from recado.http.openapi import install_openapi
from recado.http.params import install_params
from recado.http.status_page import install_status_page
from recado.http.voucher_routes import install_voucher_routes
from recado.http.webhook_routes import install_webhook_routes
from recado.runtime.context import Daemon


def create_public_app(daemon: Daemon) -> QuartTrio:
    app = QuartTrio("recado.public", root_path=str(Path(__file__).parent))
    app.config["MAX_CONTENT_LENGTH"] = daemon.config.http.max_body_bytes
    install_params(app)
    install_body_drain(app)
    install_error_handlers(app)
    install_public_error_pages(app, daemon)
    install_probes(app, daemon, "public")
    install_webhook_routes(app, daemon)
    install_event_routes(app, daemon)
    install_voucher_routes(app, daemon)
    install_status_page(app, daemon)
    install_openapi(
        app,
        PUBLIC_ROUTES,
        title="recado public listener",
        description="Meta's webhooks, the studio's events API, vouchers and probes.",
    )
    return app
