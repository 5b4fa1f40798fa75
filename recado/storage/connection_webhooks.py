"""Meta's account-level webhooks applied to the connection, inside the transaction that
applies their body (``storage.webhook_apply``): ``account_update`` (the business removed the
app, the account was offboarded or reconnected) and ``phone_number_quality_update``.

Applied once per stored record (the caller only calls this for a record it just inserted,
so a duplicate delivery or a replay changes nothing), and never backwards: an
``account_update`` older than the newest one applied is kept in the history only.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recado.clock import iso
from recado.rules.connection_health import account_effect, digits, quality_update
from recado.storage.whatsapp_connections import Change, Step, change

ACCOUNT_FIELDS = ("account_update", "phone_number_quality_update")


def apply_account_field(
    conn: sqlite3.Connection,
    field: str,
    value_json: str,
    entry_time: int | None,
    now: datetime,
) -> bool:
    """Whether a connection changed (its state or what the page shows)."""
    try:
        value = json.loads(value_json)
    except ValueError:
        return False
    if not isinstance(value, dict):
        return False
    if field == "phone_number_quality_update":
        return _quality(conn, value, now)
    effect = account_effect(value)
    row = _target(conn, effect.waba_id, effect.phone_number)
    if row is None:
        return False
    cid = int(row["id"])
    newest = row["meta_event_time"]
    # Meta delivers a change more than once (each delivery is a body of its own): the same
    # event at the same time, already in the history, is the same change.
    said = f"{effect.reason_code} at {entry_time}" if entry_time is not None else ""
    if (
        said
        and conn.execute(
            "SELECT 1 FROM whatsapp_connection_steps WHERE connection_id = ? AND "
            "step = 'account_update' AND substr(detail, 1, ?) = ?",
            (cid, len(said), said),
        ).fetchone()
    ):
        return False
    if entry_time is not None and newest is not None and entry_time < newest:
        change(
            conn,
            cid,
            now,
            Change(
                steps=(
                    Step(
                        "account_update",
                        "info",
                        detail=f"{said}: older than the update already applied",
                        detail_pt=f"{said}: mais antiga que a atualização já aplicada",
                    ),
                ),
            ),
        )
        return True
    fields: dict[str, Any] = {}
    if entry_time is not None:
        fields["meta_event_time"] = entry_time
    step = Step("account_update", "info", detail=said or effect.reason_code)
    if effect.status is None or effect.status == row["status"] == "disconnected":
        change(conn, cid, now, Change(fields=fields, steps=(step,)))
        return True
    if effect.status == "active":
        if row["status"] not in ("disconnected", "error") or row["token_ct"] is None:
            change(conn, cid, now, Change(fields=fields, steps=(step,)))
            return True
        change(
            conn,
            cid,
            now,
            Change(
                status="active",
                reason_code=effect.reason_code,
                reason_pt=effect.pt_br,
                reason_en=effect.en,
                fields={**fields, "token_checked_at": None},
                steps=(step,),
                resume=True,
                source_ip="meta-webhook",
                actor="meta",
            ),
        )
        return True
    pause = {
        "code": effect.event,
        "reason_code": effect.reason_code,
        "at": iso(now),
        "connection": cid,
        "token": None,
    }
    change(
        conn,
        cid,
        now,
        Change(
            status=effect.status,
            reason_code=effect.reason_code,
            reason_pt=effect.pt_br,
            reason_en=effect.en,
            fields=fields,
            steps=(step,),
            event=(
                "WhatsApp Disconnected",
                {"waba_id": row["waba_id"], "reason": effect.reason_code},
            ),
            alert=("critical", "whatsapp_connection", effect.pt_br, effect.en),
            pause=pause if row["status"] == "active" else None,
            source_ip="meta-webhook",
            actor="meta",
        ),
    )
    return True


def _target(
    conn: sqlite3.Connection, waba_id: str | None, phone: str | None
) -> dict[str, Any] | None:
    """The connection an update is about: the one it names (by WABA, else by number), or,
    when it names neither, the one in force. One about another account changes nothing."""
    args: tuple[str, ...] = ()
    if waba_id:
        sql, args = "SELECT * FROM whatsapp_connections WHERE waba_id = ?", (waba_id,)
    else:
        sql = "SELECT * FROM whatsapp_connections WHERE status != 'connecting'"
    rows = [dict(r) for r in conn.execute(sql + " ORDER BY id DESC", args)]
    if phone and not waba_id:
        rows = [r for r in rows if digits(r["display_phone_number"] or "") == phone]
    return rows[0] if rows else None


def _quality(conn: sqlite3.Connection, value: dict[str, Any], now: datetime) -> bool:
    update = quality_update(value)
    row = _target(conn, None, update.display_phone_number)
    if row is None:
        return False
    fields: dict[str, Any] = {"quality_event": update.event, "quality_at": iso(now)}
    if update.limit:
        fields["messaging_limit"] = update.limit
    step = Step("quality_update", "info", detail=f"{update.event} {update.limit or ''}".strip())
    change(conn, int(row["id"]), now, Change(fields=fields, steps=(step,)))
    return True
