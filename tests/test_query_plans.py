"""Every query behind every operator page (HTML and JSON) and every query of the start-up is
answered through an index: none reads a growing table whole (docs/performance.md, pages
at scale).

The statements are not listed by hand: the real daemon runs on a database the real daemon
wrote (seeded, then copied across a year) with a connection class that records what it
executes, so a page added tomorrow is visited and checked too; a page with a path parameter
needs a sample below, and the test says so when one is missing.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
import pytest
import trio
from quart_trio import QuartTrio

from recado.daemon.hooks import DaemonHooks
from recado.http.operator_app import create_operator_app
from recado.runtime.context import Daemon
from recado.testing.page_samples import SAMPLES, query_variants
from recado.testing.query_plans import StatementLog, plan_problems
from recado.testing.test_routes import install_test_routes
from tests.conftest import running_daemon
from tests.year_helpers import TABLES, make_seed, read_only, year_of_data


def page_urls(app: QuartTrio, conn: sqlite3.Connection) -> list[str]:
    """Every GET page of the operator app, with every sample of its path parameters and
    every query variant; a parameter without a sample fails the test, naming it."""
    variants = query_variants(conn)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(("/static", "/_test")):
            continue
        paths = [rule.rule]
        for name in sorted(rule.arguments):
            if name not in SAMPLES:
                raise AssertionError(
                    f"the page {rule.rule} has a parameter {name} without a sample in "
                    "recado/testing/page_samples.py SAMPLES: its queries would go unchecked"
                )
            values = SAMPLES[name](conn)
            assert values, f"the seed has no row for {name} ({rule.rule})"
            pattern = re.compile(r"<(?:\w+:)?" + name + ">")
            paths = [pattern.sub(v, p) for p in paths for v in values]
        base = rule.rule.removesuffix(".json")
        for path in paths:
            urls += [path + q for q in variants.get(base, [""])]
    return urls


async def visit(daemon: Daemon, log: StatementLog, urls: list[str]) -> None:
    async with httpx.AsyncClient(base_url=daemon.listeners["operator"].url, timeout=30) as client:
        for url in urls:
            for accept in ("text/html", "application/json"):
                log.label = f"GET {url} ({accept})"
                response = await client.get(url, headers={"Accept": accept})
                assert response.status_code in (200, 302), (url, response.text[:300])
    log.label = "after the pages"


def problems(db: Path, log: StatementLog) -> list[str]:
    conn = read_only(db)
    try:
        return [
            f"{s.label}: {' '.join(s.sql.split())}\n    {p}"
            for s in log.distinct().values()
            for p in plan_problems(conn, s.sql, s.params)
        ]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_seed(tmp_path_factory.mktemp("seed"))


async def _idle(daemon: Daemon) -> None:
    # The actors' first turns (recovery, the first look at their queues) are part of the
    # start-up: let them run before the pages are asked for.
    await trio.sleep(1.5)


async def test_every_page_and_the_start_up_use_indexes(seed_db: Path, daemon_dir: Path) -> None:
    db = year_of_data(seed_db, daemon_dir, copies=3)
    log = StatementLog()
    hooks = DaemonHooks(
        operator_routes=install_test_routes, storage_connection=log.connection_class()
    )
    async with running_daemon(daemon_dir, TABLES, hooks=hooks) as daemon:
        await _idle(daemon)
        conn = read_only(db)
        try:
            urls = page_urls(create_operator_app(daemon), conn)
        finally:
            conn.close()
        await visit(daemon, log, urls)
    labels = {s.label for s in log.entries}
    assert "start-up" in labels and any(lbl.startswith("GET /dashboard") for lbl in labels)
    assert len(urls) > 30
    found = problems(db, log)
    assert not found, "queries that read a growing table whole:\n" + "\n".join(found)


def _unindexed_page(app: QuartTrio, daemon: Daemon) -> None:
    install_test_routes(app, daemon)

    def by_text(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT COUNT(*) FROM messages WHERE text_body = ?", ("x",))
        return int(row.fetchone()[0])

    @app.get("/slow-page")
    async def slow_page() -> dict[str, int]:
        return {"n": await daemon.storage.read(by_text)}


async def test_a_new_page_with_an_unindexed_query_is_caught(
    seed_db: Path, daemon_dir: Path
) -> None:
    db = year_of_data(seed_db, daemon_dir, copies=1)
    log = StatementLog()
    hooks = DaemonHooks(operator_routes=_unindexed_page, storage_connection=log.connection_class())
    async with running_daemon(daemon_dir, TABLES, hooks=hooks) as daemon:
        app = create_operator_app(daemon)
        _unindexed_page(app, daemon)
        conn = read_only(db)
        try:
            urls = page_urls(app, conn)
        finally:
            conn.close()
        assert "/slow-page" in urls
        await visit(daemon, log, ["/slow-page"])
    found = problems(db, log)
    assert any("GET /slow-page" in p and "reads messages whole" in p for p in found), found


def test_a_page_parameter_without_a_sample_fails(seed_db: Path, tmp_path: Path) -> None:
    app = QuartTrio("t")

    @app.get("/things/<thing_id>")
    async def thing(thing_id: str) -> str:
        return thing_id

    db = tmp_path / "d" / "var" / "recado.db"
    year_of_data(seed_db, tmp_path / "d", copies=1)
    conn = read_only(db)
    try:
        with pytest.raises(AssertionError, match="thing_id without a sample"):
            page_urls(app, conn)
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("sql", "params", "expected"),
    [
        ("SELECT * FROM messages WHERE text_body = ?", ("x",), "reads messages whole"),
        (
            "SELECT m.id FROM messages m LEFT JOIN message_attempts a ON a.n = m.attempts",
            (),
            "reads",
        ),
        ("SELECT * FROM messages ORDER BY text_body LIMIT 5", (), "reads messages whole"),
        ("UPDATE message_attempts SET outcome = 'x' WHERE error_code = ?", (1,), "reads"),
        ("DELETE FROM events WHERE source = ?", ("api",), "reads events whole"),
    ],
)
def test_the_plan_check_names_each_kind_of_full_read(
    seed_db: Path, sql: str, params: tuple[object, ...], expected: str
) -> None:
    conn = read_only(seed_db)
    try:
        assert any(expected in p for p in plan_problems(conn, sql, params))
        assert plan_problems(conn, "SELECT * FROM messages WHERE id = ?", ("x",)) == []
        assert plan_problems(conn, "SELECT * FROM settings", ()) == []
    finally:
        conn.close()


def _trigger_statements(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Each statement inside each trigger, with NEW.x and OLD.x as placeholders."""
    found = []
    for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"):
        body = sql[sql.upper().index("BEGIN") + 5 : sql.upper().rindex("END")]
        for statement in body.split(";"):
            # The audit log's guards only RAISE: they read nothing.
            if statement.strip() and "RAISE(" not in statement.upper():
                found.append((name, re.sub(r"\b(?:NEW|OLD)\.\w+", "?", statement)))
    return found


def test_the_counters_triggers_touch_rows_by_key(seed_db: Path) -> None:
    """What the triggers run on every write (daily counters, an event's deliveries) finds
    its row by key: a write never costs more as the tables grow."""
    conn = read_only(seed_db)
    try:
        statements = _trigger_statements(conn)
        assert len(statements) > 10
        found = [
            f"{name}: {' '.join(sql.split())}\n    {p}"
            for name, sql in statements
            for p in plan_problems(conn, sql, [None] * sql.count("?"))
        ]
    finally:
        conn.close()
    assert not found, "\n".join(found)
