"""The fault catalogue, system side (docs/operations.md): each fault injected against the real
daemon and real HTTP doubles, on the mock clock where a time rule decides. Each ends in a
named alert (its code in the alerts table and among /dashboard.json's reasons) whose pt-BR
text says what happened and what to do, within a minute of virtual time; nothing accepted is
lost; and once the fault clears the alert resolves and work resumes without a restart.

A storage fault is the one alert that cannot be in the table while it lasts (nothing can be
written): it is shown from memory (``storage.alerts``) and written, resolved, with its start
time once the database takes writes again.
"""

from __future__ import annotations

import signal
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

from recado.clock import TrioClock
from recado.config import ConfigError, load_config
from recado.daemon.main import ActorSpec
from recado.rules.system_alerts import field_names, reload_refused_texts
from recado.runtime.context import Daemon
from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.service_double import ServiceDouble
from tests.conftest import running_daemon
from tests.fault_helpers import LockHolder, fill_disk, small_tmpfs
from tests.hub_helpers import Hub, hub_stack, real_pause
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, processor, query, write_secrets

MINUTE = 60.0
Check = Callable[[], bool | Awaitable[bool]]


async def advance_until(
    clock: trio.testing.MockClock, check: Check, within_s: float = MINUTE, step: float = 1.0
) -> float:
    """Move virtual time on in steps until ``check`` holds; the virtual seconds it took. Each
    step first gives real work (HTTP, the storage thread) a moment."""
    waited = 0.0
    while True:
        for _ in range(5):
            found = check()
            if not isinstance(found, bool):
                found = await found
            if found:
                return waited
            await real_pause(0.02)
        assert waited < within_s, f"not within {within_s} s of virtual time"
        clock.jump(step)
        waited += step


def open_alerts(db: Path, code: str) -> list[dict[str, Any]]:
    return _rows(db, "SELECT * FROM alerts WHERE code = ? AND resolved_at IS NULL", code)


def all_alerts(db: Path, code: str) -> list[dict[str, Any]]:
    return _rows(db, "SELECT * FROM alerts WHERE code = ? ORDER BY id", code)


def _rows(db: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


async def dashboard(client: httpx.AsyncClient, operator: str) -> dict[str, Any]:
    response = await client.get(f"{operator}/dashboard.json")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def reason(data: dict[str, Any], code: str) -> str | None:
    """The pt-BR text of the dashboard's reason ``code``, or None."""
    texts = [r["text"] for r in data["reasons"] if r["code"] == code]
    return texts[0] if texts else None


def assert_says(text: str, *words: str) -> None:
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"


def no_restarts(daemon: Daemon, *but: str) -> None:
    restarts = {
        n: a.restarts for n, a in daemon.supervisor.actors.items() if a.restarts and n not in but
    }
    assert restarts == {}, restarts


# -- CRM down, CRM slow ----------------------------------------------------------------------

LEADS = '[[flows]]\nevent = "lead.created"\nactions = ["http:crm:POST:/leads"]\n'


async def _breaker_fault(
    hub: Hub, clock: trio.testing.MockClock, inject: Callable[[ServiceDouble], None], step: float
) -> dict[str, Any]:
    crm, db = hub.services["crm"], hub.daemon.storage.path
    inject(crm)
    for i in range(3):
        await hub.event(f"lead_{i}")
    await advance_until(clock, lambda: bool(open_alerts(db, "breaker_open")), step=step)
    (alert,) = open_alerts(db, "breaker_open")
    assert alert["subject"] == "crm"
    data = await hub.get("/dashboard.json")
    text = reason(data, "breaker_open")
    assert text is not None and "crm" in text
    # Nothing accepted is lost: every delivery waits, none is dead.
    assert {d["state"] for d in hub.deliveries()} <= {"pending", "running", "retrying"}
    assert not hub.deliveries("state = 'dead'")
    crm.ok()
    await advance_until(
        clock,
        lambda: len(hub.deliveries("state = 'done'")) == 3 and not open_alerts(db, "breaker_open"),
        within_s=10 * MINUTE,
        step=10,
    )
    assert sorted(r.key for r in crm.received(answered="ok")) == [
        f"lead_{i}:http:crm:POST:/leads" for i in range(3)
    ]
    assert reason(await hub.get("/dashboard.json"), "breaker_open") is None
    return alert


async def test_crm_down_opens_its_breaker_with_an_alert_and_delivers_everything_once_back(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    async with hub_stack(daemon_dir, ("crm",), LEADS, clock=clock, threshold=3, open_s=30) as hub:
        alert = await _breaker_fault(hub, mock_clock, lambda crm: crm.fail(503), step=1)
    assert_says(alert["text_pt"], 'O serviço "crm" falhou 3 vezes', "Verifique se o serviço")


async def test_crm_slow_past_its_timeout_opens_its_breaker_and_delivers_once_it_answers(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    async with hub_stack(
        daemon_dir, ("crm",), LEADS, clock=clock, threshold=3, open_s=30, timeout_s=2
    ) as hub:
        # Each answer comes 20 s after it was asked for: long after the 2 s timeout.
        alert = await _breaker_fault(hub, mock_clock, lambda crm: crm.hang(20), step=1)
        attempts = query(hub.daemon, "SELECT outcome, error FROM delivery_attempts ORDER BY id")
        assert all("não respondeu a tempo" in (a["error"] or "") for a in attempts[:3])
    assert_says(alert["text_pt"], "sem resposta no prazo", "respondendo a tempo")


# -- a sync source failing mid-run -----------------------------------------------------------

SYNC = """
[[sync]]
name = "crm_ops"
schedule = "* * * * *"
source = "crm:GET:/contracts?since={cursor}"
target = "ops:POST:/schedules"
"""


async def test_a_sync_source_failing_mid_run_alerts_keeps_the_cursor_and_the_next_run_heals(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, 30, tzinfo=UTC))
    crm, ops = ServiceDouble("crm"), ServiceDouble("ops")
    crm.pages = {
        "": {"items": [{"id": "k1"}, {"id": "k2"}], "next_cursor": "p2"},
        "p2": {"items": [{"id": "k3"}], "next_cursor": "p3"},
        "p3": {"items": [], "next_cursor": None},
    }
    crm.fail_after_pages = 1
    doubles = {"crm": crm, "ops": ops}
    async with hub_stack(daemon_dir, extra=SYNC, clock=clock, doubles=doubles) as hub:
        db = hub.daemon.storage.path
        waited = await advance_until(
            mock_clock, lambda: bool(open_alerts(db, "sync_failed")), step=10
        )
        assert waited <= 40
        (alert,) = open_alerts(db, "sync_failed")
        assert alert["subject"] == "crm_ops" and "HTTP 500" in alert["text_pt"]
        assert_says(alert["text_pt"], "O cursor ficou onde estava", "Verifique se os serviços")
        text = reason(await hub.get("/dashboard.json"), "sync_failed")
        assert text is not None and "crm_ops" in text
        assert query(hub.daemon, "SELECT cursor FROM sync_state") == [{"cursor": ""}]
        # A second failed run is the same fault: still one alert.
        await advance_until(
            mock_clock,
            lambda: len(query(hub.daemon, "SELECT 1 FROM sync_runs WHERE status = 'failed'")) == 2,
            step=10,
        )
        assert len(all_alerts(db, "sync_failed")) == 1
        crm.fail_after_pages = None
        await advance_until(mock_clock, lambda: not open_alerts(db, "sync_failed"), step=10)
        assert query(hub.daemon, "SELECT cursor FROM sync_state") == [{"cursor": "p3"}]
        assert set(ops.keys()) == {f"sync:crm_ops:k{i}" for i in (1, 2, 3)}
        assert reason(await hub.get("/dashboard.json"), "sync_failed") is None


# -- disk full, the database locked by another process ---------------------------------------

_ids = count()


async def _post(daemon: Daemon, client: httpx.AsyncClient, accepted: set[str]) -> int:
    wamid = f"wamid.FAULT{next(_ids):05d}"
    change = wb.inbound_text(f"mensagem {wamid}", wa_id="5511987654321", id=wamid)
    raw, headers = wb.signed(wb.envelope([change]), APP_SECRET)
    url = f"{daemon.listeners['public'].url}/webhooks/whatsapp"
    response = await client.post(url, content=raw, headers=headers, timeout=30)
    assert response.status_code in (200, 503), response.text
    if response.status_code == 200:
        accepted.add(wamid)
    return response.status_code


async def _storage_named(
    client: httpx.AsyncClient, operator: str, kind: str, *words: str
) -> dict[str, Any]:
    data = await dashboard(client, operator)
    text = reason(data, f"storage_{kind}")
    assert text is not None, data["reasons"]
    alerts = data["storage"]["alerts"]
    assert [a["code"] for a in alerts] == [f"storage_{kind}"]
    assert_says(alerts[0]["text"], *words)
    return data


async def _storage_healed(client: httpx.AsyncClient, operator: str) -> bool:
    data = await dashboard(client, operator)
    storage = data["storage"]
    return storage["fault"] is None and not storage["alerts"] and data["webhooks"]["pending"] == 0


def _all_applied(daemon: Daemon, accepted: set[str]) -> None:
    wamids = {r["wamid"] for r in query(daemon, "SELECT wamid FROM inbound_messages")}
    assert accepted <= wamids, sorted(accepted - wamids)


async def test_disk_full_names_the_fault_keeps_every_accepted_body_and_heals_on_space(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    write_secrets(daemon_dir)
    accepted: set[str] = set()
    with small_tmpfs(daemon_dir / "var", "6m") as var:
        async with (
            running_daemon(daemon_dir, WEBHOOK_TOML, clock=clock) as daemon,
            httpx.AsyncClient(headers={"Connection": "close"}) as client,
        ):
            operator = daemon.listeners["operator"].url
            assert operator is not None
            # Acknowledged, then the disk fills before they are applied.
            async with processor(daemon)._lock:
                for _ in range(3):
                    assert await _post(daemon, client, accepted) == 200
                filler = await trio.to_thread.run_sync(fill_disk, var)
            assert await _post(daemon, client, accepted) == 503
            data = await _storage_named(client, operator, "disk_full", "disco cheio", "libere")
            assert_says(reason(data, "storage_disk_full") or "", "libere espaço")
            await trio.to_thread.run_sync(filler.unlink)
            await advance_until(mock_clock, lambda: _storage_healed(client, operator), step=2)
            _all_applied(daemon, accepted)
            (alert,) = all_alerts(daemon.storage.path, "storage_disk_full")
            assert alert["resolved_at"] is not None and "libere espaço" in alert["text_pt"]
            assert await _post(daemon, client, accepted) == 200
            no_restarts(daemon)


async def test_the_database_locked_by_another_process_is_named_and_heals_on_release(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    write_secrets(daemon_dir)
    accepted: set[str] = set()
    async with (
        running_daemon(daemon_dir, WEBHOOK_TOML, clock=clock) as daemon,
        httpx.AsyncClient(headers={"Connection": "close"}) as client,
    ):
        operator = daemon.listeners["operator"].url
        assert operator is not None
        async with processor(daemon)._lock:
            for _ in range(2):
                assert await _post(daemon, client, accepted) == 200
            holder = await trio.to_thread.run_sync(LockHolder, daemon.storage.path)
        with holder:
            # The write waits out SQLite's busy timeout (5 s, real time), then a 503.
            assert await _post(daemon, client, accepted) == 503
            await _storage_named(client, operator, "locked", "banco bloqueado", "fuser")
            await trio.to_thread.run_sync(holder.release)
        await advance_until(mock_clock, lambda: _storage_healed(client, operator), step=2)
        _all_applied(daemon, accepted)
        (alert,) = all_alerts(daemon.storage.path, "storage_locked")
        assert alert["resolved_at"] is not None and "encerre o outro processo" in alert["text_pt"]
        no_restarts(daemon)


# -- a bad config on SIGHUP ------------------------------------------------------------------


def _poll(check: Callable[[], bool], what: str, within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_bad_config_on_sighup_keeps_the_old_one_names_the_key_and_the_next_good_resolves(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path)
    db = tmp_path / "var" / "recado.db"
    with DaemonProcess(path, test_hooks=False) as daemon, httpx.Client() as client:

        def board() -> dict[str, Any]:
            answer = client.get(f"{daemon.operator_url}/dashboard.json")
            assert answer.status_code == 200, answer.text
            return answer.json()  # type: ignore[no-any-return]

        write_config(tmp_path, 'kill_switch = "sometimes"\n')
        daemon.signal(signal.SIGHUP)
        _poll(lambda: bool(open_alerts(db, "config_reload_refused")), "no alert")
        (alert,) = open_alerts(db, "config_reload_refused")
        assert_says(
            alert["text_pt"],
            "o campo whatsapp.kill_switch está inválido",
            "segue com a configuração anterior",
            f"Corrija {path}",
        )
        data = board()
        assert reason(data, "config_reload_refused") == alert["text_pt"]
        # The running config stays, and the daemon keeps working.
        assert data["whatsapp"]["kill_switch"] is False
        # A second bad reload, another key: the alert says the new one, still one open.
        write_config(tmp_path, "", http_toml="max_body_bytes = -4\n")
        daemon.signal(signal.SIGHUP)
        _poll(
            lambda: "http.max_body_bytes" in str(open_alerts(db, "config_reload_refused")),
            "the alert does not name the new key",
        )
        assert len(open_alerts(db, "config_reload_refused")) == 1
        write_config(tmp_path, "kill_switch = true\n")
        daemon.signal(signal.SIGHUP)
        _poll(lambda: not open_alerts(db, "config_reload_refused"), "the alert stays open")
        data = board()
        assert reason(data, "config_reload_refused") is None
        assert data["whatsapp"]["kill_switch"] is True
        assert daemon.proc is not None and daemon.proc.poll() is None


# Bad values of keys in several tables: whichever it is, the alert names that key; a file
# that is not TOML at all names none and says the file is wrong.
BAD_VALUES = [
    ("", 'kill_switch = "sometimes"\n', "dry_run", "whatsapp.kill_switch"),
    ("", "", "loud", "whatsapp.mode"),
    ("", "max_attempts = 0\n", "dry_run", "whatsapp.max_attempts"),
    ("max_body_bytes = -4\n", "", "dry_run", "http.max_body_bytes"),
    ("", "[backup]\nkeep = 0\n", "dry_run", "backup.keep"),
    ("", '[ui]\nlocale = "xx"\n', "dry_run", "ui.locale"),
    ("", "[incidents]\ncheck_interval_s = 9999\n", "dry_run", "incidents.check_interval_s"),
    ("", "[ui\n", "dry_run", None),
]


@given(st.sampled_from(BAD_VALUES))
def test_a_refused_reload_alert_names_the_key_whichever_it_is(
    bad: tuple[str, str, str, str | None],
) -> None:
    http_toml, extra, mode, key = bad
    with tempfile.TemporaryDirectory() as tmp:
        path = write_config(Path(tmp), extra, mode=mode, http_toml=http_toml)
        with pytest.raises(ConfigError) as refused:
            load_config(path)
    pt, en = reload_refused_texts(str(path), refused.value.problems)
    assert "segue com a configuração anterior" in pt and f"Corrija {path}" in pt
    if key is None:
        assert field_names(refused.value.problems) == [] and "o arquivo tem um erro" in pt
        return
    assert key in field_names(refused.value.problems)
    assert f"campo {key}" in pt or f"campos {key}" in pt
    assert key in en


# -- an actor crash loop ---------------------------------------------------------------------


class Flaky:
    """An actor whose dependency is broken while ``broken``: it raises as soon as it starts."""

    def __init__(self) -> None:
        self.broken = True

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        if self.broken:
            raise RuntimeError("the dependency is broken")
        await trio.sleep_forever()


async def test_an_actor_crash_loop_raises_its_alert_and_it_resolves_once_the_actor_stays_up(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    flaky = Flaky()

    def actors(_: Daemon) -> Sequence[ActorSpec]:
        return [ActorSpec("flaky", flaky.run)]

    async with (
        running_daemon(daemon_dir, clock=clock, extra_actors=actors) as daemon,
        httpx.AsyncClient(headers={"Connection": "close"}) as client,
    ):
        operator = daemon.listeners["operator"].url
        assert operator is not None
        db = daemon.storage.path
        await advance_until(mock_clock, lambda: bool(open_alerts(db, "crash_loop")), step=0.5)
        (alert,) = open_alerts(db, "crash_loop")
        assert alert["subject"] == "flaky" and alert["severity"] == "critical"
        assert_says(alert["text_pt"], "flaky está reiniciando em loop", "journalctl -u recado")
        data = await dashboard(client, operator)
        assert reason(data, "crash_loop") == alert["text_pt"]
        # The rest goes on: no other actor failed.
        no_restarts(daemon, "flaky")
        flaky.broken = False
        await advance_until(
            mock_clock, lambda: not open_alerts(db, "crash_loop"), within_s=3 * MINUTE, step=5
        )
        assert daemon.supervisor.actors["flaky"].state == "running"
        assert reason(await dashboard(client, operator), "crash_loop") is None
        assert len(all_alerts(db, "crash_loop")) == 1


# -- the backup stale ------------------------------------------------------------------------


async def test_a_stale_backup_raises_its_alert_and_the_next_good_backup_resolves_it(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 13, 30, tzinfo=UTC))
    blocker = daemon_dir / "var" / "bk"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the backup directory should be")
    toml = '[backup]\nschedule = "0 * * * *"\nkeep = 3\ndir = "bk"\n'
    async with (
        running_daemon(daemon_dir, toml, clock=clock) as daemon,
        httpx.AsyncClient(headers={"Connection": "close"}) as client,
    ):
        operator = daemon.listeners["operator"].url
        assert operator is not None
        db = daemon.storage.path
        # Twice the hourly interval since backups were scheduled (13:30): stale at 15:30.
        mock_clock.jump(2 * 3600 - 30)
        await real_pause()
        assert not open_alerts(db, "backup_stale")
        await advance_until(mock_clock, lambda: bool(open_alerts(db, "backup_stale")), step=5)
        (alert,) = open_alerts(db, "backup_stale")
        assert_says(alert["text_pt"], "Nenhum backup agendado", "veja o log do recado")
        assert reason(await dashboard(client, operator), "backup_stale") == alert["text_pt"]
        blocker.unlink()
        await advance_until(
            mock_clock, lambda: not open_alerts(db, "backup_stale"), within_s=40 * MINUTE, step=60
        )
        assert reason(await dashboard(client, operator), "backup_stale") is None
        assert len(list(blocker.iterdir())) == 1
        no_restarts(daemon)
