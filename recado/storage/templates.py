"""The WABA's templates as Meta defines them (``wa_templates``) and the record of each sync
that read them (``wa_template_syncs``): the one place both are written.

A sync that read the listing replaces what it lists and drops what it no longer lists; a
sync that failed leaves the definitions as they were (the last known ones keep being used)
and is recorded with its reason. Template webhooks (``message_template_status_update``,
``message_template_quality_update``, ``template_category_update``) change a row at once,
idempotently: a body applies only when it is not older than what set the row last (a sync
or a later webhook), so a replay of an old body never undoes a newer status.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

import msgspec

from recado.clock import iso
from recado.rules.template_check import Definition
from recado.storage.audit import record_audit
from recado.whatsapp.template_api import Fetched, FetchFailed
from recado.whatsapp.webhook_items import TemplateStatus

SYNCS_KEPT = 200
# Webhook events whose name is the template's new status (docs/whatsapp-notes.md §4).
STATUS_EVENTS = frozenset(
    {
        "APPROVED",
        "REJECTED",
        "PENDING",
        "DISABLED",
        "PAUSED",
        "IN_APPEAL",
        "ARCHIVED",
        "DELETED",
        "PENDING_DELETION",
        "LIMIT_EXCEEDED",
    }
)
# Events that bring a template back without naming its status.
BACK_TO_APPROVED = frozenset({"REINSTATED", "UNARCHIVED"})


class StoredTemplate(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    language: str
    template_id: str | None
    status: str
    category: str | None
    quality: str | None
    parameter_format: str | None
    body_params: list[str] | None
    header_format: str | None
    header_params: int
    buttons: list[str] | None
    status_reason: str | None
    status_event: str | None
    status_at: str
    status_source: str  # sync | webhook
    synced_at: str | None

    def definition(self) -> Definition:
        return Definition(
            name=self.name,
            language=self.language,
            status=self.status,
            named=None if self.parameter_format is None else self.parameter_format == "NAMED",
            body_params=None if self.body_params is None else tuple(self.body_params),
            header_format=self.header_format,
            header_params=self.header_params,
            buttons=None if self.buttons is None else tuple(self.buttons),
        )


class TemplateSync(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    trigger: str  # start | hourly | operator | connection
    waba_id: str
    started_at: str
    finished_at: str
    outcome: str  # ok | failed
    templates: int
    set_aside: int
    error_code: str | None
    error_pt: str | None
    error_en: str | None


class SyncState(msgspec.Struct, frozen=True, kw_only=True):
    last: TemplateSync | None
    last_ok: TemplateSync | None
    # Failed attempts since the last one that read the listing.
    failures_since_ok: int


def record_sync(
    conn: sqlite3.Connection,
    trigger: str,
    waba_id: str,
    started: datetime,
    finished: datetime,
    result: Fetched | FetchFailed,
    audit_ip: str | None = None,
) -> TemplateSync:
    """Record one sync (and, asked by an operator, its audit row, in the same transaction)."""
    if isinstance(result, Fetched):
        _replace(conn, result, iso(started), iso(finished))
        values: tuple[Any, ...] = ("ok", len(result.templates), len(result.set_aside), None, None)
        values += (None,)
    else:
        values = ("failed", 0, 0, result.code, result.pt_br, result.en)
    cur = conn.execute(
        "INSERT INTO wa_template_syncs(trigger, waba_id, started_at, finished_at, outcome, "
        "templates, set_aside, error_code, error_pt, error_en) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (trigger, waba_id, iso(started), iso(finished), *values),
    )
    sync_id = int(cur.lastrowid or 0)
    conn.execute("DELETE FROM wa_template_syncs WHERE id <= ?", (sync_id - SYNCS_KEPT,))
    if audit_ip is not None:
        detail = {"outcome": values[0], "templates": values[1], "error_code": values[3]}
        record_audit(conn, finished, "templates.sync", waba_id, audit_ip, "operator", detail)
    row = conn.execute("SELECT * FROM wa_template_syncs WHERE id = ?", (sync_id,)).fetchone()
    return _sync(row)


def _replace(conn: sqlite3.Connection, result: Fetched, started: str, finished: str) -> None:
    listed: set[tuple[str, str]] = set()
    for t in result.templates:
        listed.add((t.name, t.language))
        conn.execute(
            "INSERT INTO wa_templates(name, language, template_id, status, category, quality, "
            "parameter_format, body_params_json, header_format, header_params, buttons_json, "
            "components_json, status_at, status_source, synced_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sync', ?) "
            "ON CONFLICT(name, language) DO UPDATE SET "
            "template_id = excluded.template_id, category = excluded.category, "
            "quality = excluded.quality, parameter_format = excluded.parameter_format, "
            "body_params_json = excluded.body_params_json, "
            "header_format = excluded.header_format, header_params = excluded.header_params, "
            "buttons_json = excluded.buttons_json, components_json = excluded.components_json, "
            "synced_at = excluded.synced_at, "
            # A webhook applied while the listing was being read is at least as new as it.
            "status_reason = CASE WHEN status_at > ? THEN status_reason ELSE NULL END, "
            "status_source = CASE WHEN status_at > ? THEN status_source ELSE 'sync' END, "
            "status = CASE WHEN status_at > ? THEN status ELSE excluded.status END, "
            "status_at = CASE WHEN status_at > ? THEN status_at ELSE excluded.status_at END",
            (
                t.name,
                t.language,
                t.template_id,
                t.status,
                t.category,
                t.quality,
                t.parameter_format,
                _json(t.body_params),
                t.header_format,
                t.header_params,
                _json(t.buttons),
                t.components_json,
                started,
                finished,
                started,
                started,
                started,
                started,
            ),
        )
    for row in conn.execute(
        "SELECT name, language FROM wa_templates WHERE status_at <= ?", (started,)
    ).fetchall():
        if (row["name"], row["language"]) not in listed:
            conn.execute(
                "DELETE FROM wa_templates WHERE name = ? AND language = ?",
                (row["name"], row["language"]),
            )


def apply_template_update(
    conn: sqlite3.Connection, inbox_id: int, item: TemplateStatus, applied_at: str
) -> bool:
    """Apply a template webhook item to its template; False when it changes nothing (no
    template named, an event that names no status, or older than the row)."""
    if not item.name or not item.language:
        return False
    found = conn.execute("SELECT received_at FROM webhook_inbox WHERE id = ?", (inbox_id,))
    inbox = found.fetchone()
    # Ordered by when Meta's body arrived, not when it was applied (a replay is late).
    at = inbox["received_at"] if inbox is not None else applied_at
    value = _value(item.data_json)
    template_id = value.get("message_template_id")
    template_id = str(template_id) if isinstance(template_id, int | str) else None
    key = (item.name, item.language)
    if item.field == "message_template_status_update":
        event = (item.event or "").upper()
        status = "APPROVED" if event in BACK_TO_APPROVED else event
        if status not in STATUS_EVENTS:
            # FLAGGED, LOCKED …: the status stays (a flagged template is still approved).
            cur = conn.execute(
                "UPDATE wa_templates SET status_event = ? "
                "WHERE name = ? AND language = ? AND status_at <= ?",
                (event or None, *key, at),
            )
            return cur.rowcount > 0
        category = value.get("message_template_category")
        cur = conn.execute(
            "INSERT INTO wa_templates(name, language, template_id, status, category, "
            "status_reason, status_event, status_at, status_source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'webhook') "
            "ON CONFLICT(name, language) DO UPDATE SET status = excluded.status, "
            "status_reason = excluded.status_reason, status_event = excluded.status_event, "
            "status_at = excluded.status_at, status_source = 'webhook', "
            "template_id = COALESCE(excluded.template_id, template_id), "
            "category = COALESCE(excluded.category, category) "
            "WHERE status_at <= excluded.status_at",
            (
                *key,
                template_id,
                status,
                category if isinstance(category, str) else None,
                item.reason,
                event,
                at,
            ),
        )
        return cur.rowcount > 0
    column = {
        "message_template_quality_update": "quality",
        "template_category_update": "category",
    }.get(item.field)
    if column is None or not item.event:
        return False
    cur = conn.execute(
        f"UPDATE wa_templates SET {column} = ? "
        "WHERE name = ? AND language = ? AND COALESCE(synced_at, '') <= ?",
        (item.event.upper(), *key, at),
    )
    return cur.rowcount > 0


def all_templates(conn: sqlite3.Connection) -> list[StoredTemplate]:
    rows = conn.execute("SELECT * FROM wa_templates ORDER BY name, language").fetchall()
    return [_template(r) for r in rows]


def definitions_for(conn: sqlite3.Connection, name: str, waba_id: str) -> list[Definition] | None:
    """Meta's definitions of ``name`` in every language, or None when nothing is known (no
    row for it, and no sync of this WABA ever read the listing)."""
    rows = conn.execute("SELECT * FROM wa_templates WHERE name = ?", (name,)).fetchall()
    if rows:
        return [_template(r).definition() for r in rows]
    return [] if ever_synced(conn, waba_id) else None


def ever_synced(conn: sqlite3.Connection, waba_id: str) -> bool:
    if not waba_id:
        return False
    row = conn.execute(
        "SELECT 1 FROM wa_template_syncs WHERE outcome = 'ok' AND waba_id = ? LIMIT 1",
        (waba_id,),
    ).fetchone()
    return row is not None


def sync_state(conn: sqlite3.Connection) -> SyncState:
    last = conn.execute("SELECT * FROM wa_template_syncs ORDER BY id DESC LIMIT 1").fetchone()
    ok = conn.execute(
        "SELECT * FROM wa_template_syncs WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    failures = conn.execute(
        "SELECT COUNT(*) FROM wa_template_syncs WHERE outcome = 'failed' AND id > ?",
        (ok["id"] if ok else 0,),
    ).fetchone()[0]
    return SyncState(
        last=_sync(last) if last else None,
        last_ok=_sync(ok) if ok else None,
        failures_since_ok=int(failures),
    )


def recent_syncs(conn: sqlite3.Connection, limit: int) -> list[TemplateSync]:
    rows = conn.execute(
        "SELECT * FROM wa_template_syncs ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [_sync(r) for r in rows]


def _template(row: sqlite3.Row) -> StoredTemplate:
    return StoredTemplate(
        name=row["name"],
        language=row["language"],
        template_id=row["template_id"],
        status=row["status"],
        category=row["category"],
        quality=row["quality"],
        parameter_format=row["parameter_format"],
        body_params=_list(row["body_params_json"]),
        header_format=row["header_format"],
        header_params=row["header_params"],
        buttons=_list(row["buttons_json"]),
        status_reason=row["status_reason"],
        status_event=row["status_event"],
        status_at=row["status_at"],
        status_source=row["status_source"],
        synced_at=row["synced_at"],
    )


def _sync(row: sqlite3.Row) -> TemplateSync:
    return TemplateSync(**{k: row[k] for k in row.keys()})  # noqa: SIM118


def _json(values: tuple[str, ...] | None) -> str | None:
    return None if values is None else json.dumps(list(values), ensure_ascii=False)


def _list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    try:
        values = json.loads(text)
    except ValueError:
        return None
    return [str(v) for v in values] if isinstance(values, list) else None


def _value(data_json: str) -> dict[str, Any]:
    try:
        value = json.loads(data_json)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
