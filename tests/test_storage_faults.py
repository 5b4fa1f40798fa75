"""Storage faults against real ones: a full tmpfs, an ext4 gone read-only under the daemon, a
lock held by another process. Each is answered 503 with Retry-After on both listeners, named
on the dashboard and in an alert, and healed without a restart: every body that got a 200 is
applied once storage works again, and nothing is set aside as failed because of storage.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from recado.rules.health import HealthFacts, evaluate
from recado.rules.storage_faults import alert_texts
from recado.runtime.context import Daemon
from recado.storage.actor import Storage, StorageFault
from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.service_double import Answer
from tests.conftest import running_daemon
from tests.fault_helpers import (
    LockHolder,
    ext4_image,
    fail_ext4,
    fill_disk,
    remount,
    small_tmpfs,
)
from tests.hub_helpers import Hub, hub_stack, real_pause
from tests.webhook_helpers import (
    APP_SECRET,
    WEBHOOK_TOML,
    processor,
    query,
    webhook_daemon,
    write_secrets,
)

FLOWS = """
[[flows]]
event = "lead.created"
actions = ["http:crm:POST:/leads"]
[[flows]]
event = "client.registered"
actions = ["whatsapp:appointment_created"]
"""

_ids = count()


def _body(tag: str) -> tuple[str, bytes, dict[str, str]]:
    wamid = f"wamid.{tag}{next(_ids):05d}"
    change = wb.inbound_text(f"mensagem {wamid}", wa_id="5511987654321", id=wamid)
    raw, headers = wb.signed(wb.envelope([change]), APP_SECRET)
    return wamid, raw, headers


async def _post(
    daemon: Daemon, client: httpx.AsyncClient, tag: str, accepted: set[str]
) -> httpx.Response:
    wamid, raw, headers = _body(tag)
    url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
    response = await client.post(url, content=raw, headers=headers, timeout=30)
    assert response.status_code in (200, 503), response.text
    if response.status_code == 200:
        accepted.add(wamid)
    return response


def _assert_storage_503(response: httpx.Response, words: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "30"
    body = response.json()
    assert body["error"] == "storage_unavailable"
    assert words in body["detail"]


async def _dashboard(client: httpx.AsyncClient, operator: str) -> dict[str, Any]:
    response = await client.get(f"{operator}/dashboard.json")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _assert_named(
    client: httpx.AsyncClient, operator: str, kind: str, pt_name: str, *, public: str
) -> dict[str, Any]:
    """The dashboard is critical, names the fault (not a crash loop) and shows its alert."""
    data = await _dashboard(client, operator)
    assert data["status"] == "critical", data["reasons"]
    codes = [r["code"] for r in data["reasons"]]
    assert f"storage_{kind}" in codes and "crash_loop" not in codes, data["reasons"]
    (reason,) = [r for r in data["reasons"] if r["code"] == f"storage_{kind}"]
    assert pt_name in reason["text"]
    assert [a["code"] for a in data["storage"]["alerts"]] == [f"storage_{kind}"]
    assert data["storage"]["fault"]["kind"] == kind
    page = (await client.get(f"{operator}/dashboard")).text
    assert page.count(pt_name) >= 2, "the reason and the alert both name the fault"
    ready = await client.get(f"{operator}/readyz")
    assert ready.status_code == 503 and kind in ready.text
    # The public listener says it is not ready, and nothing of why beyond a code.
    public = await client.get(f"{public}/readyz")
    assert public.status_code == 503
    assert public.json() == {"ready": False, "reasons": ["storage_unavailable"]}
    metrics = (await client.get(f"{operator}/metrics")).text
    assert f'recado_storage_fault{{kind="{kind}"}} 1.0' in metrics
    return data


def public_url(daemon: Daemon) -> str:
    url = daemon.listeners["public"].url
    assert url is not None
    return url


async def _until_healed(client: httpx.AsyncClient, operator: str, timeout_s: float = 40) -> None:
    """No request is needed: the daemon notices on its own that storage works again."""
    with trio.move_on_after(timeout_s):
        while True:
            data = await _dashboard(client, operator)
            hooks = data["webhooks"]
            if (
                data["storage"]["fault"] is None
                and not data["storage"]["alerts"]
                and hooks["pending"] == 0
            ):
                return
            await trio.sleep(0.2)
    raise AssertionError(f"not healed: {await _dashboard(client, operator)}")


def _assert_all_applied(db: Path, accepted: set[str]) -> None:
    with sqlite3.connect(db) as conn:
        wamids = {r[0] for r in conn.execute("SELECT wamid FROM inbound_messages")}
        inbox = conn.execute(
            "SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL OR error IS NOT NULL"
        ).fetchone()[0]
    assert accepted <= wamids, sorted(accepted - wamids)
    assert inbox == 0


def _storage_alerts(db: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT code, at, resolved_at FROM alerts WHERE code LIKE 'storage_%' ORDER BY id"
        ).fetchall()


async def _until_received(hub: Hub, service: str, n: int) -> None:
    for _ in range(200):
        if len(hub.services[service].received()) >= n:
            return
        await real_pause(0.02)
    raise AssertionError(f"{service} never got request {n}")


async def test_disk_full_is_503_named_and_every_accepted_body_applied_once_space_returns(
    daemon_dir: Path,
) -> None:
    accepted: set[str] = set()
    with small_tmpfs(daemon_dir / "var", "6m") as var:
        async with webhook_daemon(daemon_dir) as (daemon, client):
            operator = daemon.listeners["operator"].url
            assert operator is not None
            for _ in range(3):
                assert (await _post(daemon, client, "OK", accepted)).status_code == 200
            # Bodies acknowledged while the processor is busy (a replay holds the same lock),
            # then the disk fills before they are applied: today two stayed failed forever.
            async with processor(daemon)._lock:
                for _ in range(5):
                    assert (await _post(daemon, client, "WAIT", accepted)).status_code == 200
                filler = await trio.to_thread.run_sync(fill_disk, var)
            since = None
            for _ in range(5):
                response = await _post(daemon, client, "FULL", accepted)
                _assert_storage_503(response, "disk is full")
                data = await _assert_named(
                    client, operator, "disk_full", "disco cheio", public=public_url(daemon)
                )
                # The alert keeps when the fault began, whatever happened since.
                since = since or data["storage"]["alerts"][0]["at"]
            # Events and operator actions, on the other listener, alike.
            headers = {"X-API-Key": daemon.api_key}
            event = {
                "id": "lead_full",
                "type": "lead.created",
                "occurred_at": "2026-01-05T10:00:00Z",
                "data": {"id": "lead_full"},
            }
            response = await client.post(
                f"{daemon.listeners['public'].url}/api/v1/events", json=event, headers=headers
            )
            _assert_storage_503(response, "disk is full")
            response = await client.post(
                f"{operator}/whatsapp/kill-switch", json={"on": True}, headers=headers
            )
            _assert_storage_503(response, "disk is full")
            assert not daemon.kill_switch_on
            # The acknowledged bodies wait; none is set aside for the storage's fault.
            failed = query(
                daemon, "SELECT COUNT(*) AS n FROM webhook_inbox WHERE error IS NOT NULL"
            )
            assert failed == [{"n": 0}]

            await trio.to_thread.run_sync(filler.unlink)
            await _until_healed(client, operator)
            _assert_all_applied(daemon.storage.path, accepted)
            (alert,) = _storage_alerts(daemon.storage.path)
            assert alert[0] == "storage_disk_full" and alert[1] == since and alert[2] is not None

            # Again with bodies arriving while the disk fills: each answer is 200 or 503,
            # and every 200 is applied once space returns.
            filled = trio.Event()

            async def fill() -> None:
                nonlocal filler
                filler = await trio.to_thread.run_sync(fill_disk, var)
                filled.set()

            async def post_until_full() -> None:
                while not filled.is_set():
                    await _post(daemon, client, "RACE", accepted)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(fill)
                for _ in range(8):
                    nursery.start_soon(post_until_full)
            assert (await _post(daemon, client, "FULL", accepted)).status_code == 503
            await trio.to_thread.run_sync(filler.unlink)
            await _until_healed(client, operator)
            assert (await _post(daemon, client, "AFTER", accepted)).status_code == 200
            await _until_healed(client, operator)
            _assert_all_applied(daemon.storage.path, accepted)
            assert daemon.supervisor.actors["webhook_processor"].restarts == 0
            data = await _dashboard(client, operator)
            assert not any(r["code"].startswith("storage") for r in data["reasons"])


async def test_disk_full_leaves_no_delivery_or_message_job_behind(daemon_dir: Path) -> None:
    """Deliveries and message jobs caught by the fault are kept as they were (never dead or
    failed for it) and complete once space returns, with no actor restarted."""
    with small_tmpfs(daemon_dir / "var", "6m") as var:
        async with hub_stack(daemon_dir, ("crm",), FLOWS) as hub:
            # A delivery in flight when the disk fills: its outcome cannot be recorded.
            hub.services["crm"].script(Answer("hang", seconds=1.5))
            await hub.event("lead_in_flight", "lead.created")
            await _until_received(hub, "crm", 1)
            await hub.event("cli_1", "client.registered", client={"phone": "11987654321"})
            await hub.event("cli_2", "client.registered", client={"phone": "11987654322"})
            filler = await trio.to_thread.run_sync(fill_disk, var)
            await real_pause(2.5)
            await trio.to_thread.run_sync(filler.unlink)
            await _until_healed(hub.client, hub.operator)
            await hub.until(
                "SELECT event_id, state FROM deliveries ORDER BY event_id",
                [
                    {"event_id": "cli_1", "state": "done"},
                    {"event_id": "cli_2", "state": "done"},
                    {"event_id": "lead_in_flight", "state": "done"},
                ],
            )
            await hub.until(
                "SELECT to_number, state FROM messages ORDER BY to_number",
                [
                    {"to_number": "+5511987654321", "state": "sent"},
                    {"to_number": "+5511987654322", "state": "sent"},
                ],
            )


async def test_a_file_system_gone_read_only_is_503_named_and_refuses_the_next_start(
    tmp_path: Path,
) -> None:
    write_secrets(tmp_path)
    config = write_config(tmp_path, WEBHOOK_TOML)
    with ext4_image(tmp_path / "disk.img", tmp_path / "var") as device:
        daemon = DaemonProcess(config, test_hooks=False)
        await trio.to_thread.run_sync(daemon.start)
        try:
            async with httpx.AsyncClient() as client:
                raw, headers = _body("RO")[1:]
                url = f"{daemon.public_url}/webhooks/whatsapp"
                assert (await client.post(url, content=raw, headers=headers)).status_code == 200
                await trio.to_thread.run_sync(fail_ext4, device)
                for _ in range(3):
                    raw, headers = _body("RO")[1:]
                    response = await client.post(url, content=raw, headers=headers)
                    _assert_storage_503(response, "read-only")
                await _assert_named(
                    client,
                    daemon.operator_url,
                    "read_only",
                    "banco somente leitura",
                    public=daemon.public_url,
                )
        finally:
            daemon.kill()
        await _assert_start_refused(config, tmp_path / "var" / "recado.db")


async def _assert_start_refused(config: Path, db: Path, fix: str = "read-write") -> None:
    done = await trio.to_thread.run_sync(
        lambda: subprocess.run(
            [sys.executable, "-m", "recado", "run", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    errors = [line for line in output.splitlines() if "level=error" in line]
    assert len(errors) == 1 and "not_started" in errors[0], output
    assert str(db) in errors[0] and fix in errors[0], errors[0]
    assert "Traceback" not in output


def _break(how: str, var: Path) -> None:
    if how == "read-only mount":
        remount(var, "ro")
    elif how == "immutable database file":  # not even root may write it
        assert _run_checked("chattr", "+i", str(var / "recado.db"))
    else:
        fill_disk(var)


def _repair(how: str, var: Path) -> None:
    if how == "read-only mount":
        remount(var, "rw")
    elif how == "immutable database file":
        assert _run_checked("chattr", "-i", str(var / "recado.db"))
    else:
        (var / "filler.bin").unlink()


def _run_checked(*args: str) -> bool:
    return subprocess.run(args, capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize(
    ("how", "fix"),
    [
        ("read-only mount", "read-write"),
        ("immutable database file", "read-write"),
        ("full disk", "the disk is full"),
    ],
)
async def test_start_refuses_a_database_it_cannot_write_with_one_line(
    tmp_path: Path, how: str, fix: str
) -> None:
    config = write_config(tmp_path)
    with small_tmpfs(tmp_path / "var") as var:
        first = DaemonProcess(config, test_hooks=False)
        await trio.to_thread.run_sync(first.start)
        assert first.terminate() == 0
        _break(how, var)
        try:
            await _assert_start_refused(config, var / "recado.db", fix)
        finally:
            _repair(how, var)
        again = DaemonProcess(config, test_hooks=False)
        await trio.to_thread.run_sync(again.start)
        assert again.terminate() == 0


async def test_a_lock_held_by_another_process_is_503_named_and_healed_on_release(
    daemon_dir: Path,
) -> None:
    accepted: set[str] = set()
    async with webhook_daemon(daemon_dir) as (daemon, client):
        operator = daemon.listeners["operator"].url
        assert operator is not None
        assert (await _post(daemon, client, "OK", accepted)).status_code == 200
        async with processor(daemon)._lock:
            for _ in range(3):
                assert (await _post(daemon, client, "WAIT", accepted)).status_code == 200
            holder = await trio.to_thread.run_sync(LockHolder, daemon.storage.path)
        with holder:
            # The write waits out busy_timeout (5 s), then gives up with a 503.
            response = await _post(daemon, client, "LOCKED", accepted)
            _assert_storage_503(response, "locked by another process")
            await _assert_named(
                client,
                operator,
                "locked",
                "banco bloqueado (outro processo)",
                public=public_url(daemon),
            )
            waiting = query(daemon, "SELECT COUNT(*) AS n FROM webhook_inbox WHERE error IS NULL")
            assert waiting[0]["n"] == 1 + 3
            await trio.to_thread.run_sync(holder.release)
        await _until_healed(client, operator)
        _assert_all_applied(daemon.storage.path, accepted)
        assert [a[0] for a in _storage_alerts(daemon.storage.path)] == ["storage_locked"]
        assert daemon.supervisor.actors["webhook_processor"].restarts == 0


LEGACY_STORAGE_ERRORS = [
    "CommitFailed: io_error: commit failed: database or disk is full",
    "OperationalError: database or disk is full",
    "OperationalError: attempt to write a readonly database",
    "OperationalError: database is locked",
    "OperationalError: disk I/O error",
    "StorageUnavailable: unavailable: storage is shutting down",
]
OWN_ERRORS = [
    "ValueError: invalid literal for int() with base 10: '²'",
    "IntegrityError: UNIQUE constraint failed: inbound_messages.wamid",
]


async def test_bodies_once_failed_for_a_storage_reason_are_applied_on_the_next_start(
    daemon_dir: Path,
) -> None:
    accepted: set[str] = set()
    async with webhook_daemon(daemon_dir) as (daemon, client):
        assert (await _post(daemon, client, "OK", accepted)).status_code == 200
        db = daemon.storage.path
    legacy: dict[str, str] = {}
    with sqlite3.connect(db) as conn:
        for error in LEGACY_STORAGE_ERRORS + OWN_ERRORS:
            wamid, raw, _ = _body("OLD")
            legacy[wamid] = error
            conn.execute(
                "INSERT INTO webhook_inbox(received_at, body, body_sha256, fields, error, "
                "failed_at, attempts) VALUES ('2026-01-05T10:00:00.000Z', ?, '', 'messages', "
                "?, '2026-01-05T10:00:01.000Z', 1)",
                (raw, error),
            )
    async with running_daemon(daemon_dir, WEBHOOK_TOML) as daemon:
        with trio.fail_after(20):
            while True:
                rows = query(daemon, "SELECT error, processed_at FROM webhook_inbox")
                if all(r["processed_at"] or r["error"] for r in rows):
                    still_failed = {r["error"] for r in rows if r["error"]}
                    if still_failed == set(OWN_ERRORS):
                        break
                await trio.sleep(0.05)
        applied = {r["wamid"] for r in query(daemon, "SELECT wamid FROM inbound_messages")}
    assert {w for w, e in legacy.items() if e in LEGACY_STORAGE_ERRORS} <= applied
    assert not {w for w, e in legacy.items() if e in OWN_ERRORS} & applied


def _create(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")


def _insert(conn: sqlite3.Connection, data: bytes) -> int:
    return int(conn.execute("INSERT INTO blobs(data) VALUES (?)", (data,)).lastrowid or 0)


def _unique(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO blobs(id, data) VALUES (1, x'00')")


def _insert_spilling(conn: sqlite3.Connection, data: bytes) -> int:
    """A row bigger than the page cache: SQLite writes pages out before COMMIT, so a full disk
    is met inside the write function itself."""
    size = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA cache_size=10")
    try:
        return _insert(conn, data)
    finally:
        conn.execute(f"PRAGMA cache_size={int(size)}")


@pytest.mark.parametrize("write", [_insert, _insert_spilling])
async def test_a_write_that_meets_a_full_disk_fails_its_batch_as_a_fault_not_as_its_own_error(
    tmp_path: Path, write: Any
) -> None:
    """Whether SQLite runs out of space inside the write or at COMMIT, the write's caller and
    its batch neighbours get a StorageFault; a write's own error stays its own; the fault
    clears on the next commit, which is what ``wait_healthy`` waits for."""
    with small_tmpfs(tmp_path / "fs", "2m") as fs:
        storage = Storage(fs / "s.db")
        async with trio.open_nursery() as nursery:
            await nursery.start(storage.run)
            await storage.write(_create)
            await storage.write(_insert, b"first")
            filler = await trio.to_thread.run_sync(fill_disk, fs)
            results: dict[str, BaseException | int] = {}

            async def attempt(name: str, fn: Any, *args: Any) -> None:
                try:
                    results[name] = await storage.write(fn, *args)
                except Exception as exc:
                    results[name] = exc

            async with trio.open_nursery() as batch:
                batch.start_soon(attempt, "big", write, b"x" * 600_000)
                batch.start_soon(attempt, "small", _insert, b"y")
                batch.start_soon(attempt, "own", _unique)
            assert isinstance(results["big"], StorageFault), results
            assert results["big"].kind == "disk_full"
            assert isinstance(results["small"], StorageFault) or results["small"] == 2
            assert storage.fault is not None and storage.fault.kind == "disk_full"
            healed = trio.Event()

            async def wait() -> None:
                await storage.wait_healthy()
                healed.set()

            nursery.start_soon(wait)
            await trio.sleep(0.1)
            assert not healed.is_set()
            await trio.to_thread.run_sync(filler.unlink)
            assert await storage.write(_insert, b"z") > 1
            with trio.fail_after(1):
                await healed.wait()
            assert storage.fault is None
            with pytest.raises(sqlite3.IntegrityError):
                await storage.write(_unique)
            assert storage.fault is None
            await storage.close()
        storage.close_files()


@pytest.mark.parametrize(
    ("kind", "pt", "en"),
    [
        ("disk_full", "disco cheio", "disk full"),
        ("read_only", "banco somente leitura", "read-only database"),
        ("locked", "banco bloqueado (outro processo)", "database locked (another process)"),
        ("io_error", "erro de E/S", "I/O error"),
        ("unavailable", "armazenamento parado", "storage stopped"),
    ],
)
def test_each_storage_fault_is_critical_and_named_in_both_languages(
    kind: str, pt: str, en: str
) -> None:
    health = evaluate(
        HealthFacts(mode="dry_run", storage_fault=kind, storage_fault_since="05/01/2026 10:00")
    )
    assert health.status == "critical"
    (reason,) = [r for r in health.reasons if r.code.startswith("storage")]
    assert reason.code == f"storage_{kind}" and reason.severity == "critical"
    assert pt in reason.text("pt-BR") and "05/01/2026 10:00" in reason.text("pt-BR")
    assert en in reason.text("en")
    text_pt, text_en = alert_texts(kind)
    assert pt in text_pt and en in text_en
