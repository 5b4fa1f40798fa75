"""``GET /status`` on the public listener: the studio's clients read what is going on, in
pt-BR — the public note of each incident not yet resolved, and nothing else (no cause, no
internal note, no timeline, no client). Read-only; the operator pages write the notes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import msgspec
from quart import Quart, Response, jsonify, render_template

from recado.http.local_formats import format_local
from recado.http.views import wants_json
from recado.runtime.context import Daemon
from recado.storage.incident_queries import public_notes

STATE_WORDS = {"open": "em andamento", "mitigated": "contornado, em acompanhamento"}


class StatusNote(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    state: str  # in pt-BR words
    started: str  # dd/mm/aaaa HH:MM in the studio's zone
    updated: str
    note: str


class StatusPage(msgspec.Struct, frozen=True, kw_only=True):
    studio: str
    notes: list[StatusNote]


async def status_data(daemon: Daemon) -> StatusPage:
    tz = ZoneInfo(daemon.config.daemon.timezone)
    rows = await daemon.storage.read(public_notes)
    return StatusPage(
        studio=daemon.config.studio.name,
        notes=[
            StatusNote(
                title=r.title,
                state=STATE_WORDS.get(r.state, r.state),
                started=format_local(r.started_at, tz),
                updated=format_local(r.note_at, tz),
                note=r.note,
            )
            for r in rows
        ],
    )


def install_status_page(app: Quart, daemon: Daemon) -> None:
    @app.get("/status")
    @app.get("/status.json")
    async def status() -> Response:
        data = await status_data(daemon)
        if wants_json():
            return jsonify(msgspec.to_builtins(data))
        html = await render_template("status.html", data=data)
        response = Response(html, content_type="text/html; charset=utf-8")
        # Clients reload it during an incident; a cache must not show yesterday's note.
        response.headers["Cache-Control"] = "no-cache"
        return response
