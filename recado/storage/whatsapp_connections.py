"""The WhatsApp connection record (one write place): its states, its history of steps, and
the one-time signup states.

Every change of a connection is one transaction with its history step, its audit row (time,
status, source IP) and, when the flow produced one, its product event; a change that
pauses or resumes sending writes that in the same transaction. Tokens and PINs arrive here
only as ciphertexts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recado.clock import iso
from recado.rules.signup import state_problem
from recado.storage.alerts import add_alert
from recado.storage.audit import record_audit
from recado.storage.connection_steps import Step, add_step
from recado.storage.product_events import record_event
from recado.storage.settings import SENDING_PAUSED, delete_setting, set_setting
from recado.storage.smb_syncs import add_syncs

PAUSE_KEY = SENDING_PAUSED
__all__ = ["FIELDS", "PAUSE_KEY", "PUBLIC", "Change", "Step", "add_step"]

# Columns a change may set besides its status and reason.
FIELDS = frozenset(
    {
        "waba_id",
        "phone_number_id",
        "display_phone_number",
        "business_name",
        "coexistence",
        "token_ct",
        "token_key_id",
        "pin_ct",
        "pin_key_id",
        "pin_source",
        "token_valid",
        "token_expires_at",
        "data_access_expires_at",
        "token_checked_at",
        "quality_rating",
        "messaging_limit",
        "quality_event",
        "quality_at",
        "meta_event_time",
    }
)
# Shown on pages and in the JSON: never a ciphertext.
PUBLIC = (
    "id",
    "status",
    "waba_id",
    "phone_number_id",
    "display_phone_number",
    "business_name",
    "coexistence",
    "pin_source",
    "token_valid",
    "token_expires_at",
    "data_access_expires_at",
    "token_checked_at",
    "quality_rating",
    "messaging_limit",
    "quality_event",
    "quality_at",
    "reason_code",
    "reason_pt",
    "reason_en",
    "error_step",
    "started_at",
    "created_at",
    "updated_at",
    "connected_at",
    "disconnected_at",
)


@dataclass(frozen=True)
class Change:
    """What happens to a connection, all in one transaction."""

    status: str | None = None  # None: the status stays
    reason_code: str | None = None
    reason_pt: str | None = None
    reason_en: str | None = None
    error_step: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    event: tuple[str, dict[str, Any]] | None = None
    alert: tuple[str, str, str, str] | None = None  # severity, code, pt, en
    pause: dict[str, Any] | None = None
    resume: bool = False
    source_ip: str = ""
    actor: str = "daemon"


# -- signup states ------------------------------------------------------------------------


def open_state(
    conn: sqlite3.Connection,
    state_hash: str,
    session_hash: str,
    now: datetime,
    expires_at: datetime,
    source_ip: str,
) -> None:
    conn.execute(
        "INSERT INTO signup_states(state_hash, session_hash, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)",
        (state_hash, session_hash, iso(now), iso(expires_at)),
    )
    record_event(conn, now, "Embedded Signup Started", None, {})
    record_audit(conn, now, "whatsapp.signup_started", "", source_ip, "operator", {})


def spend_state(
    conn: sqlite3.Connection,
    state_hash: str,
    session_hash: str,
    now: datetime,
    used_for: str,
    source_ip: str,
    hints: dict[str, Any],
) -> dict[str, Any]:
    """Spend a state once. For a callback, a ``connecting`` connection is made in the same
    transaction (its history starts here). Returns ``{"problem": ...}`` when the state
    cannot be spent (nothing is written), else the state's times and the connection id."""
    row = conn.execute(
        "SELECT state_hash, session_hash, created_at, expires_at, used_at FROM signup_states "
        "WHERE state_hash = ?",
        (state_hash,),
    ).fetchone()
    problem = state_problem(dict(row) if row else None, session_hash, now)
    if problem is not None:
        return {"problem": problem}
    connection_id = None
    if used_for == "callback":
        cur = conn.execute(
            "INSERT INTO whatsapp_connections(status, waba_id, phone_number_id, started_at, "
            "created_at, updated_at) VALUES ('connecting', ?, ?, ?, ?, ?)",
            (
                hints.get("waba_id"),
                hints.get("phone_number_id"),
                row["created_at"],
                iso(now),
                iso(now),
            ),
        )
        connection_id = int(cur.lastrowid or 0)
        add_step(conn, connection_id, now, Step("state", "ok"))
        record_audit(
            conn,
            now,
            "whatsapp.connection.connecting",
            str(connection_id),
            source_ip,
            "operator",
            {"status": "connecting", **{k: v for k, v in hints.items() if v}},
        )
    conn.execute(
        "UPDATE signup_states SET used_at = ?, used_for = ?, connection_id = ? "
        "WHERE state_hash = ?",
        (iso(now), used_for, connection_id, state_hash),
    )
    return {"started_at": row["created_at"], "connection_id": connection_id}


def expired_states(conn: sqlite3.Connection, now: datetime) -> list[dict[str, Any]]:
    """States that expired unspent and were not alerted on yet: the page never came back."""
    rows = conn.execute(
        "SELECT state_hash, created_at, expires_at FROM signup_states "
        "WHERE used_at IS NULL AND alerted_at IS NULL AND expires_at <= ? ORDER BY expires_at",
        (iso(now),),
    ).fetchall()
    return [dict(r) for r in rows]


def mark_states_alerted(
    conn: sqlite3.Connection, hashes: list[str], now: datetime, alert: tuple[str, str, str, str]
) -> None:
    conn.executemany(
        "UPDATE signup_states SET alerted_at = ? WHERE state_hash = ?",
        [(iso(now), h) for h in hashes],
    )
    severity, code, pt, en = alert
    add_alert(conn, now, severity, code, "whatsapp_signup", pt, en)


# -- the connection -----------------------------------------------------------------------


def change(conn: sqlite3.Connection, connection_id: int, now: datetime, ch: Change) -> None:
    """Apply ``ch`` to one connection: its row, history, audit, event, alert and pause."""
    row = conn.execute(
        "SELECT status, waba_id, phone_number_id FROM whatsapp_connections WHERE id = ?",
        (connection_id,),
    ).fetchone()
    if row is None:
        raise LookupError(f"no WhatsApp connection {connection_id}")
    unknown = set(ch.fields) - FIELDS
    if unknown:
        raise ValueError(f"not a connection field: {', '.join(sorted(unknown))}")
    sets = dict(ch.fields)
    sets["updated_at"] = iso(now)
    if ch.status is not None:
        sets |= {
            "status": ch.status,
            "reason_code": ch.reason_code,
            "reason_pt": ch.reason_pt,
            "reason_en": ch.reason_en,
            "error_step": ch.error_step,
        }
        if ch.status == "active" and row["status"] != "active":
            sets["connected_at"] = iso(now)
        if ch.status == "disconnected" and row["status"] != "disconnected":
            sets["disconnected_at"] = iso(now)
    assignments = ", ".join(f"{name} = ?" for name in sets)
    conn.execute(
        f"UPDATE whatsapp_connections SET {assignments} WHERE id = ?",
        (*sets.values(), connection_id),
    )
    for step in ch.steps:
        add_step(conn, connection_id, now, step)
    if (ch.status is not None and ch.status != row["status"]) or ch.reason_code is not None:
        status = ch.status or row["status"]
        record_audit(
            conn,
            now,
            f"whatsapp.connection.{status}",
            str(connection_id),
            ch.source_ip,
            ch.actor,
            {
                "status": status,
                "previous": row["status"],
                "reason_code": ch.reason_code,
                "step": ch.error_step,
                "waba_id": ch.fields.get("waba_id", row["waba_id"]),
                "phone_number_id": ch.fields.get("phone_number_id", row["phone_number_id"]),
            },
        )
    if ch.event is not None:
        record_event(conn, now, ch.event[0], connection_id, ch.event[1])
    if ch.alert is not None:
        severity, code, pt, en = ch.alert
        add_alert(conn, now, severity, code, f"whatsapp_connection:{connection_id}", pt, en)
    if ch.pause is not None:
        set_setting(conn, SENDING_PAUSED, ch.pause, now)
    if ch.resume:
        delete_setting(conn, SENDING_PAUSED)


def complete(
    conn: sqlite3.Connection,
    connection_id: int,
    now: datetime,
    ch: Change,
    smb_deadline: datetime | None,
) -> list[int]:
    """The signup succeeded: the connection is active, any other active one is superseded
    (disconnected, its history kept), and for coexistence the two syncs wait to be
    requested. Returns the superseded ids."""
    others = [
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM whatsapp_connections WHERE status IN ('active', 'error') AND id != ?",
            (connection_id,),
        )
    ]
    for other in others:
        change(
            conn,
            other,
            now,
            Change(
                status="disconnected",
                reason_code="superseded",
                reason_pt=f"Substituída pela conexão {connection_id}.",
                reason_en=f"Replaced by connection {connection_id}.",
                steps=(
                    Step(
                        "superseded",
                        "info",
                        detail=f"replaced by connection {connection_id}",
                        detail_pt=f"substituída pela conexão {connection_id}",
                    ),
                ),
                source_ip=ch.source_ip,
                actor=ch.actor,
            ),
        )
    change(conn, connection_id, now, ch)
    if smb_deadline is not None:
        add_syncs(conn, connection_id, now, smb_deadline)
    return others


# -- reads ----------------------------------------------------------------------------------


def latest(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The connection in force: the newest one (whatever its status)."""
    row = conn.execute("SELECT * FROM whatsapp_connections ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else None


def by_id(conn: sqlite3.Connection, connection_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT * FROM whatsapp_connections WHERE id = ?", (connection_id,)
    ).fetchone()
    return dict(row) if row else None


def public(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = {k: row.get(k) for k in PUBLIC}
    out["coexistence"] = bool(out["coexistence"])
    out["token_valid"] = None if out["token_valid"] is None else bool(out["token_valid"])
    return out


def steps(conn: sqlite3.Connection, connection_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, at, step, outcome, http_status, code, subcode, detail, detail_pt "
        "FROM whatsapp_connection_steps WHERE connection_id = ? ORDER BY id DESC LIMIT ?",
        (connection_id, limit),
    ).fetchall()
    return [dict(r) for r in rows]


def pins_of(conn: sqlite3.Connection, phone_number_id: str) -> list[dict[str, Any]]:
    """The sealed PINs a number was registered with before, newest first."""
    rows = conn.execute(
        "SELECT id, pin_ct, pin_key_id FROM whatsapp_connections WHERE phone_number_id = ? "
        "AND pin_ct IS NOT NULL ORDER BY id DESC",
        (phone_number_id,),
    ).fetchall()
    return [dict(r) for r in rows]


def stale_connecting(conn: sqlite3.Connection, before: datetime) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM whatsapp_connections WHERE status = 'connecting' AND updated_at < ?",
        (iso(before),),
    ).fetchall()
    return [int(r[0]) for r in rows]
