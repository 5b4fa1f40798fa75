"""The templates page (``/templates``, JSON at ``/templates.json``) and its action: each
configured template beside Meta's definition with what differs, every template Meta lists,
and the last reads of the listing; ``POST /templates/sync`` reads it now (audited)."""

from __future__ import annotations

import msgspec
from quart import Quart, Response, jsonify

from recado.clock import iso
from recado.http.auth import client_ip
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.i18n import page_locale
from recado.http.views import respond
from recado.rules.locale import pick
from recado.rules.template_check import STATUS_WORDS
from recado.runtime.context import Daemon
from recado.runtime.template_checks import all_checks, waba_id
from recado.storage import templates as st

SYNCS_SHOWN = 10


class ProblemView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    text: str  # in the studio's language


class ConfiguredView(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # whatsapp.templates.<key>
    name: str
    language: str
    parameter_format: str  # positional | named
    body_params: list[str]  # the values sent (named: the names sent)
    buttons: int
    known: bool  # False: nothing known of it at Meta yet, no check made
    status: str | None  # Meta's, in its language (None when not found at Meta)
    problems: list[ProblemView]


class MetaView(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    language: str
    status: str
    status_text: str
    category: str | None
    quality: str | None
    parameter_format: str | None
    body_params: list[str] | None
    buttons: list[str] | None
    status_source: str
    status_at: str
    status_reason: str | None
    status_event: str | None
    configured_as: list[str]


class ReadView(msgspec.Struct, frozen=True, kw_only=True):
    """One read of the listing, its reason in the studio's language."""

    trigger: str  # start | hourly | operator | connection
    finished_at: str
    outcome: str  # ok | failed
    templates: int
    set_aside: int
    error: str | None


class SyncView(msgspec.Struct, frozen=True, kw_only=True):
    configured: bool  # a token and a WABA id: the listing can be read
    waba_id: str
    next_at: str | None
    last: st.TemplateSync | None
    last_ok: st.TemplateSync | None
    failures_since_ok: int
    error: str | None  # why the last read failed, in the studio's language
    recent: list[ReadView]


class TemplatesPage(msgspec.Struct, frozen=True, kw_only=True):
    configured: list[ConfiguredView]
    meta: list[MetaView]
    sync: SyncView


def status_text(status: str, locale: str) -> str:
    if status == "APPROVED":
        return pick(locale, "aprovado", "approved")
    return pick(locale, *STATUS_WORDS.get(status, (status, status)))


async def templates_data(daemon: Daemon) -> TemplatesPage:
    locale = page_locale(daemon)
    stored = await daemon.storage.read(st.all_templates)
    checks = await all_checks(daemon)
    by_key = {(t.name, t.language): t for t in stored}
    configured = []
    for c in checks:
        meta = by_key.get((c.template.name, c.template.language))
        configured.append(
            ConfiguredView(
                key=c.key,
                name=c.template.name,
                language=c.template.language,
                parameter_format=c.template.parameter_format,
                body_params=c.template.sent_names if c.template.named else c.template.body_params,
                buttons=len(c.template.buttons),
                known=c.known,
                status=status_text(meta.status, locale) if meta else None,
                problems=[ProblemView(code=p.code, text=p.text(locale)) for p in c.problems],
            )
        )
    meta_views = [
        MetaView(
            name=t.name,
            language=t.language,
            status=t.status,
            status_text=status_text(t.status, locale),
            category=t.category,
            quality=t.quality,
            parameter_format=t.parameter_format,
            body_params=t.body_params,
            buttons=t.buttons,
            status_source=t.status_source,
            status_at=t.status_at,
            status_reason=t.status_reason,
            status_event=t.status_event,
            configured_as=[
                c.key
                for c in checks
                if (c.template.name, c.template.language) == (t.name, t.language)
            ],
        )
        for t in stored
    ]
    state = await daemon.storage.read(st.sync_state)
    last = state.last
    error = None
    if last is not None and last.outcome == "failed":
        error = pick(locale, last.error_pt, last.error_en)
    nxt = daemon.commands.templates.next_sync_at()
    return TemplatesPage(
        configured=configured,
        meta=meta_views,
        sync=SyncView(
            configured=daemon.commands.templates.configured(),
            waba_id=waba_id(daemon),
            next_at=iso(nxt) if nxt else None,
            last=last,
            last_ok=state.last_ok,
            failures_since_ok=state.failures_since_ok,
            error=error,
            recent=[
                ReadView(
                    trigger=r.trigger,
                    finished_at=r.finished_at,
                    outcome=r.outcome,
                    templates=r.templates,
                    set_aside=r.set_aside,
                    error=pick(locale, r.error_pt, r.error_en),
                )
                for r in await daemon.storage.read(st.recent_syncs, SYNCS_SHOWN)
            ],
        ),
    )


def install_template_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/templates")
    @app.get("/templates.json")
    async def templates_page() -> Response:
        return await respond("templates.html", await templates_data(daemon))

    @app.post("/templates/sync")
    @guarded
    async def templates_sync() -> Response:
        record = await daemon.commands.templates.sync_now(client_ip())
        if record is None:
            return json_error(
                409,
                "not_configured",
                "the templates cannot be read: whatsapp.access_token_file and "
                "whatsapp.waba_id must both be set",
            )
        ok = record.outcome == "ok"
        body = {
            "message": f"{record.templates} templates read" if ok else "Template read failed",
            "sync": msgspec.to_builtins(record),
        }
        return jsonify(body)
