"""The sync jobs: each job's last runs and items set aside, a run now, and the retry of a
set-aside item (docs/reference.md §9.2-9.3)."""

from __future__ import annotations

import msgspec
from quart import Quart, Response, jsonify

from recado.clock import iso
from recado.http.auth import client_ip
from recado.http.csrf import require_operator
from recado.http.errors import json_error
from recado.http.i18n import page_locale
from recado.http.views import respond
from recado.redaction import redact
from recado.rules.bounds import sql_int_ok
from recado.rules.locale import pick
from recado.runtime.context import Daemon
from recado.storage import sync as sq

RUNS_SHOWN = 10


class SyncFailureView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    item_key: str
    item_json: str
    reason_code: str
    reason: str  # in the studio's language
    status_code: int | None
    attempts: int
    run_id: int | None
    at: str


class SyncJobView(sq.SyncSummary, frozen=True, kw_only=True):
    schedule: str
    next_run: str | None
    running: bool
    # Set aside (not scheduled): "schedule" (no next fire) or "internal_error", and what
    # happened; None while the job is scheduled.
    problem: str | None
    problem_detail: str | None
    runs: list[sq.SyncRun]
    failures: list[SyncFailureView]


class SyncPage(msgspec.Struct, frozen=True, kw_only=True):
    jobs: dict[str, SyncJobView]


async def sync_data(daemon: Daemon) -> SyncPage:
    names = [j.name for j in daemon.config.sync]
    summary = await daemon.storage.read(sq.summary, names, daemon.clock.now())
    runner = daemon.commands.sync
    locale = page_locale(daemon)
    jobs = {}
    for job in daemon.config.sync:
        nxt = runner.next_fire(job.name)
        problem = runner.problem(job.name)
        failures = await daemon.storage.read(sq.open_failures, job.name)
        shown = summary[job.name]
        jobs[job.name] = SyncJobView(
            **msgspec.structs.asdict(
                msgspec.structs.replace(
                    shown,
                    cursor=redact(shown.cursor),
                    last_error=redact(shown.last_error) if shown.last_error else None,
                )
            ),
            schedule=job.schedule,
            next_run=iso(nxt) if nxt else None,
            running=runner.running(job.name),
            problem=problem[0] if problem else None,
            problem_detail=problem[1] if problem else None,
            runs=[_run(r) for r in await daemon.storage.read(sq.runs, job.name, RUNS_SHOWN)],
            failures=[_failure(f, locale) for f in failures],
        )
    return SyncPage(jobs=jobs)


def _run(r: sq.SyncRun) -> sq.SyncRun:
    """A run as shown: cursors are data kept as the source gave them (the next run sends
    them back), so a secret in one is hidden here, where it meets people."""
    return msgspec.structs.replace(
        r,
        cursor_before=redact(r.cursor_before),
        cursor_after=redact(r.cursor_after) if r.cursor_after is not None else None,
        error=redact(r.error) if r.error is not None else None,
    )


def _failure(f: sq.SyncFailure, locale: str) -> SyncFailureView:
    # The item is kept as it came (a retry posts it again); shown, a secret in it is hidden.
    return SyncFailureView(
        id=f.id,
        item_key=redact(f.item_key),
        item_json=redact(f.item_json),
        reason_code=f.reason_code,
        reason=pick(locale, f.reason_pt, f.reason_en),
        status_code=f.status_code,
        attempts=f.attempts,
        run_id=f.run_id,
        at=f.at,
    )


def install_sync_pages(app: Quart, daemon: Daemon) -> None:
    guarded = require_operator(lambda: daemon.api_key)

    @app.get("/sync")
    @app.get("/sync.json")
    async def sync() -> Response:
        return await respond("sync.html", await sync_data(daemon))

    @app.post("/sync/<name>/run")
    @guarded
    async def sync_run(name: str) -> Response:
        outcome = daemon.commands.sync.request_run(name, client_ip())
        if outcome == "unknown":
            return json_error(404, "not_found", f'no sync job "{name}" in [[sync]]')
        if outcome == "running":
            return json_error(409, "already_running", f'sync job "{name}" is already running')
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
