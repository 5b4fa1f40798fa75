"""The public voucher page (docs/reference.md §4.4): the appointment, behind a signed link."""

from __future__ import annotations

from quart import Quart, Response, render_template, request

from recado.clock import parse_iso
from recado.http.error_pages import prefers_html
from recado.http.errors import json_error
from recado.http.i18n import page_locale, studio_zone, translate, voucher_missing_words
from recado.rules.voucher import voucher_key, voucher_ok
from recado.runtime.context import Daemon
from recado.storage.appointments import voucher_appointment


def install_voucher_routes(app: Quart, daemon: Daemon) -> None:
    @app.get("/voucher/<appointment_id>")
    async def voucher(appointment_id: str) -> Response:
        key = voucher_key(daemon.secret_key)
        apt = None
        if voucher_ok(key, appointment_id, request.args.get("sig")):
            apt = await daemon.storage.read(voucher_appointment, appointment_id)
        cfg = daemon.config
        if apt is None:
            # The same answer for a bad signature and an unknown id: nothing to enumerate.
            if not prefers_html():
                return json_error(404, "not_found", "no such voucher")
            locale = page_locale(daemon)
            title, what = voucher_missing_words(locale)
            html = await render_template(
                "voucher_missing.html",
                locale=locale,
                title=title,
                what=what,
                studio=cfg.studio.name,
            )
            return _private(Response(html, 404, content_type="text/html; charset=utf-8"))
        local = parse_iso(apt.starts_at).astimezone(studio_zone(daemon))
        locale = page_locale(daemon)
        html = await render_template(
            "voucher.html",
            locale=locale,
            t=lambda key: translate(locale, key),
            apt=apt,
            date=local.strftime("%d/%m/%Y"),
            time=local.strftime("%H:%M"),
            studio=cfg.studio.name,
            location=apt.location or cfg.studio.location_line,
        )
        return _private(Response(html, content_type="text/html; charset=utf-8"))


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
