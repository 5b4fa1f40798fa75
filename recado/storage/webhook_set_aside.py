"""Webhook items kept aside: the ones whose apply raised (``item_failed``, written by
``webhook_apply.apply_body`` in the body's transaction) and the malformed ones the parser
turned into ``bad_item``, listed for the operator on the webhooks page."""

from __future__ import annotations

import json
import sqlite3
from contextlib import suppress
from dataclasses import asdict, is_dataclass
from typing import Any

import msgspec


class SetAsideItem(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook item kept aside, as the webhooks page lists it."""

    id: int
    inbox_id: int
    seq: int
    kind: str  # item_failed | bad_item
    field: str
    summary: str
    received_at: str


def record_failure(
    conn: sqlite3.Connection,
    inbox_id: int,
    seq: int,
    item: Any,
    exc: Exception,
    received_at: str,
) -> None:
    """The item set aside with its error; a repeated failure updates the record."""
    error = f"{type(exc).__name__}: {exc}"[:1000]
    path = getattr(item, "path", "") or f"item {seq}"
    data = {"error": error, "path": path, "type": type(item).__name__, "item": _raw_item(item)}
    conn.execute(
        "INSERT INTO webhook_records(inbox_id, seq, kind, field, wa_id, summary, data_json, "
        "received_at) VALUES (?, ?, 'item_failed', ?, ?, ?, ?, ?) "
        "ON CONFLICT(inbox_id, seq) DO UPDATE SET summary = excluded.summary, "
        "data_json = excluded.data_json WHERE kind = 'item_failed'",
        (
            inbox_id,
            seq,
            getattr(item, "field", "") or _FIELD_OF.get(type(item).__name__, ""),
            getattr(item, "wa_id", None),
            f"{path}: {error}",
            json.dumps(data, ensure_ascii=False, default=str),
            received_at,
        ),
    )


_FIELD_OF = {
    "InboundMessage": "messages",
    "StatusUpdate": "messages",
    "EchoMessage": "smb_message_echoes",
    "HistoryChunk": "history",
    "StateSync": "smb_app_state_sync",
}


def _raw_item(item: Any) -> Any:
    """The item as Meta sent it when the parser kept it, else as parsed."""
    raw = getattr(item, "raw_json", None) or getattr(item, "data_json", None)
    if isinstance(raw, str):
        with suppress(ValueError):
            return json.loads(raw)
    return asdict(item) if is_dataclass(item) and not isinstance(item, type) else repr(item)


def set_aside_items(conn: sqlite3.Connection, limit: int) -> list[SetAsideItem]:
    """Items kept aside, newest first: those that failed to apply and malformed ones."""
    rows = conn.execute(
        "SELECT id, inbox_id, seq, kind, field, summary, received_at FROM webhook_records "
        "WHERE kind IN ('item_failed', 'bad_item') ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [SetAsideItem(**dict(r)) for r in rows]
