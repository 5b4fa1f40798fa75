"""Routes only tests install (``recado.testing.run_with_hooks --test-hooks``, or
``running_daemon`` in tests): never part of the product's apps.

The crash-safety test drives writes through here: each answer is sent only after the
storage actor reports the write committed, so an acknowledged key must survive ``kill -9``.
"""

from __future__ import annotations

import sqlite3

from quart import Response, jsonify
from quart_trio import QuartTrio

from recado.daemon.hooks import DaemonHooks
from recado.http.auth import json_body
from recado.http.errors import json_error
from recado.runtime.context import Daemon


def _insert_ack(conn: sqlite3.Connection, key: str) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS test_acks (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL)"
    )
    cur = conn.execute("INSERT INTO test_acks(key) VALUES (?)", (key,))
    return int(cur.lastrowid or 0)


def install_test_routes(app: QuartTrio, daemon: Daemon) -> None:
    @app.post("/_test/write")
    async def test_write() -> Response:
        body = await json_body(("key",))
        if isinstance(body, Response):
            return body
        key = body.get("key")
        if not isinstance(key, str):
            return json_error(422, "invalid_field", "key: required (expected a string)")
        row_id = await daemon.storage.write(_insert_ack, key)
        return jsonify({"key": key, "id": row_id})


# What tests start the daemon with unless they ask for the product alone.
TEST_HOOKS = DaemonHooks(operator_routes=install_test_routes)
