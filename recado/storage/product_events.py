"""Product analytics of connecting WhatsApp, kept locally (CONTRACT §9): the events with
their properties, and the small funnel the connection page shows."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from statistics import median
from typing import Any

from recado.clock import iso

EVENTS = (
    "WhatsApp Setup Screen Viewed",
    "Embedded Signup Started",
    "Embedded Signup Completed",
    "Embedded Signup Failed",
    "Embedded Signup Cancelled",
    "WhatsApp Disconnected",
)
# The spec's property names; anything else is not recorded.
PROPERTIES = frozenset(
    {
        "waba_id",
        "has_existing_number",
        "time_to_complete_seconds",
        "error_code",
        "error_message",
        "step_failed",
        "step_cancelled",
        "reason",
    }
)


def record_event(
    conn: sqlite3.Connection,
    now: datetime,
    name: str,
    connection_id: int | None,
    properties: dict[str, Any],
) -> None:
    if name not in EVENTS:
        raise ValueError(f"not a product event: {name}")
    props = {k: v for k, v in properties.items() if k in PROPERTIES and v is not None}
    conn.execute(
        "INSERT INTO product_events(at, name, connection_id, properties_json) VALUES (?, ?, ?, ?)",
        (iso(now), name, connection_id, json.dumps(props, ensure_ascii=False, sort_keys=True)),
    )


def recent_events(conn: sqlite3.Connection, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, at, name, connection_id, properties_json FROM product_events "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        {
            "id": r["id"],
            "at": r["at"],
            "name": r["name"],
            "connection_id": r["connection_id"],
            "properties": json.loads(r["properties_json"]),
        }
        for r in rows
    ]


def outcomes_since(conn: sqlite3.Connection, since: datetime) -> dict[str, int]:
    rows = conn.execute(
        "SELECT name, COUNT(*) AS n FROM product_events WHERE at >= ? GROUP BY name",
        (iso(since),),
    ).fetchall()
    return {r["name"]: r["n"] for r in rows}


def funnel(conn: sqlite3.Connection, since: datetime) -> dict[str, Any]:
    """Started → completed since ``since``, the time to complete, and errors by code."""
    counts = outcomes_since(conn, since)
    times = [
        float(r[0])
        for r in conn.execute(
            "SELECT json_extract(properties_json, '$.time_to_complete_seconds') FROM "
            "product_events WHERE name = 'Embedded Signup Completed' AND at >= ? AND "
            "json_extract(properties_json, '$.time_to_complete_seconds') IS NOT NULL",
            (iso(since),),
        )
    ]
    errors = [
        {"error_code": r["code"], "step_failed": r["step"], "count": r["n"]}
        for r in conn.execute(
            "SELECT COALESCE(json_extract(properties_json, '$.error_code'), '') AS code, "
            "COALESCE(json_extract(properties_json, '$.step_failed'), '') AS step, "
            "COUNT(*) AS n FROM product_events WHERE name = 'Embedded Signup Failed' AND at >= ? "
            "GROUP BY code, step ORDER BY n DESC, code",
            (iso(since),),
        )
    ]
    started = counts.get("Embedded Signup Started", 0)
    completed = counts.get("Embedded Signup Completed", 0)
    return {
        "since": iso(since),
        "viewed": counts.get("WhatsApp Setup Screen Viewed", 0),
        "started": started,
        "completed": completed,
        "failed": counts.get("Embedded Signup Failed", 0),
        "cancelled": counts.get("Embedded Signup Cancelled", 0),
        "disconnected": counts.get("WhatsApp Disconnected", 0),
        "completion_rate": round(completed / started, 3) if started else None,
        "time_to_complete_seconds": {
            "median": round(median(times), 1) if times else None,
            "max": round(max(times), 1) if times else None,
        },
        "errors": errors,
    }
