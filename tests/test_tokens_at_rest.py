"""Tokens at rest: AES-256-GCM under data keys wrapped by the master key, a key id beside
every ciphertext, rotation while the daemon runs and sends, and a change of the master key."""

from __future__ import annotations

import base64
import secrets
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from recado import token_crypto as tc
from recado.runtime.context import Daemon
from recado.testing.signup_double import NEW_NUMBER
from tests.signup_helpers import connect, key, op, real_pause, signup_double, signup_stack, until
from tests.test_sender import book, notice_reaches
from tests.webhook_helpers import query

KEY = secrets.token_bytes(32)


@given(st.text(max_size=300), st.text(min_size=1, max_size=60))
def test_a_secret_opens_only_with_its_key_and_purpose(plaintext: str, purpose: str) -> None:
    master = tc.master_key(KEY)
    data_key = tc.new_data_key()
    blob = tc.encrypt(data_key, plaintext, purpose)
    if len(plaintext.encode()) >= 8:  # shorter ones may occur in random bytes by chance
        assert plaintext.encode() not in blob
    assert tc.decrypt(data_key, blob, purpose) == plaintext
    with pytest.raises(tc.Unreadable):
        tc.decrypt(data_key, blob, purpose + "x")  # moved to another row or field
    with pytest.raises(tc.Unreadable):
        tc.decrypt(tc.new_data_key(), blob, purpose)
    flipped = bytearray(blob)
    flipped[-1] ^= 1
    with pytest.raises(tc.Unreadable):
        tc.decrypt(data_key, bytes(flipped), purpose)
    wrapped = tc.wrap(master, data_key)
    assert tc.unwrap(master, data_key.id, wrapped) == data_key
    with pytest.raises(tc.Unreadable):
        tc.unwrap(tc.master_key(secrets.token_bytes(32)), data_key.id, wrapped)
    with pytest.raises(tc.Unreadable):
        tc.unwrap(master, "dk_other", wrapped)


def test_the_master_key_id_names_the_key_without_telling_it() -> None:
    a, b = tc.master_key(KEY), tc.master_key(secrets.token_bytes(32))
    assert a.id == tc.master_key(KEY).id != b.id
    assert KEY.hex() not in a.id and base64.b64encode(KEY).decode() not in a.id
    with pytest.raises(ValueError):
        tc.master_key(b"short")


def _sealed(db: Path) -> list[dict[str, object]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT c.id, c.token_key_id, c.token_ct, c.pin_key_id, c.pin_ct, k.master_id "
            "FROM whatsapp_connections c JOIN crypto_keys k ON k.id = c.token_key_id"
        ).fetchall()
    return [dict(r) for r in rows]


async def test_rotation_with_the_daemon_running_and_sending(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        await connect(daemon, double, client)
        before = _sealed(daemon.storage.path)[0]
        for i in range(10):
            await _book(daemon, client, i)
        cli = await trio.run_process(
            [sys.executable, "-m", "recado", "keys", "rotate", "--config", str(daemon.config_path)],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
        assert cli.returncode == 0, cli.stderr
        assert b"2 secret(s) re-encrypted" in cli.stdout
        for i in range(10, 20):
            await _book(daemon, client, i)
        await until(
            lambda: (
                query(
                    daemon,
                    "SELECT COUNT(*) AS n FROM messages WHERE state = 'sent' "
                    "AND kind = 'appointment_created'",
                )[0]["n"]
                == 20
            ),
            "every send went out across the rotation",
        )
        token = double.signup.token_for(NEW_NUMBER)
        assert all(r.headers["authorization"] == f"Bearer {token}" for r in double.sends())
        after = _sealed(daemon.storage.path)[0]
        assert after["token_key_id"] != before["token_key_id"]
        assert after["pin_key_id"] == after["token_key_id"]
        assert after["token_ct"] != before["token_ct"]
        keys = query(daemon, "SELECT id, is_current FROM crypto_keys")
        assert keys == [{"id": after["token_key_id"], "is_current": 1}]
        audit = query(
            daemon, "SELECT action, detail_json FROM audit_log WHERE action = 'keys.rotate'"
        )
        assert len(audit) == 1 and before["token_key_id"] in audit[0]["detail_json"]
        assert token not in audit[0]["detail_json"]
    # After a restart the rotated token opens: the connection is still the one in force.
    async with signup_stack(daemon_dir, double=double) as (daemon, _, client):
        await until(lambda: daemon.connection_credentials is not None, "credentials loaded")
        assert daemon.connection_credentials.token == token  # type: ignore[union-attr]
        await _book(daemon, client, 99)
        await until(lambda: len(double.sends()) == 21, "a send after the restart")


async def _book(daemon: Daemon, http: httpx.AsyncClient, i: int) -> None:
    """A booking with a client of its own: Meta's pair rate limit paces one client's sends."""
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
    answer = await http.post(
        f"{daemon.listeners['public'].url}/api/v1/events",
        json={
            "id": f"evt-{i}",
            "type": "appointment.created",
            "occurred_at": "2026-11-24T10:00:00-03:00",
            "data": {
                "appointment_id": f"a{i}",
                "client": {"name": f"Cliente {i}", "phone": f"+5511987{i:06d}"},
                "service": "Corte",
                "starts_at": starts,
            },
        },
        headers={"X-API-Key": daemon.api_key},
    )
    assert answer.status_code == 202, answer.text


@pytest.fixture
def master_keys(daemon_dir: Path) -> Path:
    """Three master keys in files, as an operator (or systemd's LoadCredential) keeps them."""
    daemon_dir.mkdir(parents=True, exist_ok=True)
    for name in ("master_1", "master_2", "master_3"):
        text = base64.b64encode(secrets.token_bytes(32)).decode()
        (daemon_dir / name).write_text(text + "\n")
    return daemon_dir


async def test_changing_the_master_key_rewraps_with_the_previous_one(master_keys: Path) -> None:
    daemon_dir = master_keys

    def security(*lines: str) -> str:
        return "[security]\n" + "".join(f"{line}\n" for line in lines)

    double = signup_double()
    async with signup_stack(
        daemon_dir, security('secret_key_file = "master_1"'), double=double
    ) as (daemon, _, client):
        await connect(daemon, double, client)
    wrapped_under = _sealed(daemon.storage.path)[0]["master_id"]
    # The new key alone cannot open the tokens: the connection says so, nothing is lost.
    async with signup_stack(
        daemon_dir, security('secret_key_file = "master_2"'), double=double
    ) as (daemon, _, client):
        await until(
            lambda: (
                query(daemon, "SELECT status, reason_code FROM whatsapp_connections")[0]
                == {"status": "error", "reason_code": "key_unavailable"}
            ),
            "the unreadable token reported",
        )
        refused = await client.post(op(daemon, "/keys/rotate"), headers=key(daemon))
        assert (refused.status_code, refused.json()["error"]) == (409, "keys_unreadable")
        assert _sealed(daemon.storage.path)[0]["master_id"] == wrapped_under
    # With the previous key named for one start, the data keys move under the new one.
    async with signup_stack(
        daemon_dir,
        security('secret_key_file = "master_2"', 'previous_secret_key_file = "master_1"'),
        double=double,
    ) as (daemon, _, client):
        await until(lambda: daemon.connection_credentials is None, "still in error")
        rewrapped = _sealed(daemon.storage.path)[0]["master_id"]
        assert rewrapped != wrapped_under
        assert (
            query(daemon, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'keys.rewrap'")[0][
                "n"
            ]
            == 1
        )
        # Connect again: the new connection works under the new master key.
        await connect(daemon, double, client)
        await book(daemon, client)
        await notice_reaches(daemon, "sent")
    async with signup_stack(
        daemon_dir, security('secret_key_file = "master_2"'), double=double
    ) as (daemon, _, client):
        await until(lambda: daemon.connection_credentials is not None, "opens with the new key")
    async with signup_stack(
        daemon_dir, security('secret_key_file = "master_3"'), double=double
    ) as (daemon, _, _client):
        await real_pause(0.3)
        assert daemon.connection_credentials is None
