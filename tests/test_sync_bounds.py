"""What a sync source sends is bounded (QA10 finding 5): a cursor over 1 KiB or a page over
the answer bound fails the run, named, and is never stored; an item too deep or unreadable
is set aside alone while the rest of its page is written; a cursor stored before the bound
no longer sticks the job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from recado.rules.json_depth import MAX_DEPTH
from recado.services.client import MAX_ANSWER_BYTES
from recado.services.sync_page import MAX_CURSOR_CHARS, PAGE_DEPTH, PageError, read_page
from tests.hub_helpers import hub_stack
from tests.test_sync_set_aside import KEY, SYNC, _doubles, _run
from tests.webhook_helpers import query


def _nested(levels: int) -> Any:
    value: Any = "core"
    for n in range(levels - 1):
        value = [value] if n % 2 else {"k": value}
    return {"id": f"deep{levels}", "v": value}


@given(st.integers(MAX_CURSOR_CHARS + 1, 4 * MAX_CURSOR_CHARS), st.characters())
def test_a_cursor_over_the_bound_fails_the_page(length: int, char: str) -> None:
    body = ('{"items": [], "next_cursor": ' + f'"{"c" * length}"' + "}").encode()
    with pytest.raises(PageError, match="next_cursor is"):
        read_page(body)
    assert read_page(b'{"items": [], "next_cursor": "' + b"c" * MAX_CURSOR_CHARS + b'"}')


@given(st.integers(1, PAGE_DEPTH - 3))
@example(MAX_DEPTH)
@example(MAX_DEPTH + 1)
def test_each_item_is_judged_by_its_own_depth(levels: int) -> None:
    page = read_page(json.dumps({"items": [{"id": "ok"}, _nested(levels)]}).encode())
    good, deep = page.items
    assert good.value == {"id": "ok"} and not good.problem_en
    assert bool(deep.problem_en) == (levels > MAX_DEPTH)


async def test_a_huge_cursor_is_a_named_failure_and_never_stored(daemon_dir: Path) -> None:
    pages = {
        "": {"items": [{"id": "k1"}], "next_cursor": "c1"},
        "c1": {"items": [{"id": "k2"}], "next_cursor": "x" * 1_000_000},
    }
    async with hub_stack(daemon_dir, extra=SYNC, doubles=_doubles(pages)) as hub:
        run = await _run(hub, "failed")
        assert "next_cursor is 1000000 characters long" in run["error"]
        assert "Traceback" not in run["error"]
        # The page with the bad cursor is not written; the run's cursor stays where it was.
        assert query(hub.daemon, "SELECT cursor FROM sync_state") == [{"cursor": ""}]
        page = await hub.client.get(f"{hub.operator}/sync.json")
        assert len(page.content) < 100_000
        # The source fixed: the next run goes through.
        hub.services["crm"].pages["c1"]["next_cursor"] = None
        run = await _run(hub, "done")
        assert run["cursor_after"] == "c1"


async def test_a_page_over_the_answer_bound_fails_the_run(daemon_dir: Path) -> None:
    big = [{"id": f"k{n}", "pad": "p" * 1000} for n in range(MAX_ANSWER_BYTES // 1000 + 10)]
    pages = {"": {"items": big, "next_cursor": None}}
    async with hub_stack(daemon_dir, extra=SYNC, doubles=_doubles(pages)) as hub:
        run = await _run(hub, "failed")
        assert f"the answer is larger than {MAX_ANSWER_BYTES} bytes" in run["error"]
        assert run["items_written"] == 0


async def test_too_deep_and_unreadable_items_are_set_aside_alone(daemon_dir: Path) -> None:
    items = [{"id": "k1"}, _nested(MAX_DEPTH + 1), {"id": "k2"}, _nested(300)]
    # A number beyond a float's range: valid JSON no decoder here reads.
    raw = json.dumps({"items": items}).encode()[:-2] + b', {"id": "k3", "n": 1e400}, {"id": "k4"}]}'
    doubles = _doubles({})
    doubles["crm"].pages = {"": raw}
    async with hub_stack(daemon_dir, extra=SYNC, doubles=doubles) as hub:
        run = await _run(hub, "done")
        assert (run["items_read"], run["items_written"], run["items_set_aside"]) == (6, 3, 3)
        assert doubles["ops"].keys() == [KEY + k for k in ("k1", "k2", "k4")]
        failures = (await hub.get("/sync"))["jobs"]["crm_ops"]["failures"]
        reasons = sorted(f["reason"] for f in failures)
        assert reasons[0].startswith("o item não pode ser lido")
        assert reasons[1:] == [f"o item tem mais de {MAX_DEPTH} níveis de listas ou objetos"] * 2
        # A retry checks it again: refused, never posted.
        deep = next(f for f in failures if '"deep300"' in f["item_json"])
        again = await hub.post(f"/sync/crm_ops/failures/{deep['id']}/retry")
        assert again.json()["outcome"] == "refused"
        assert doubles["ops"].keys() == [KEY + k for k in ("k1", "k2", "k4")]


async def test_a_page_too_deep_to_split_fails_the_run_named(daemon_dir: Path) -> None:
    pages = {"": {"items": [{"id": "k1"}, _nested(PAGE_DEPTH + 50)], "next_cursor": None}}
    async with hub_stack(daemon_dir, extra=SYNC, doubles=_doubles(pages)) as hub:
        run = await _run(hub, "failed")
        assert f"deeper than {PAGE_DEPTH} levels" in run["error"]


async def test_a_cursor_stored_before_the_bound_is_dropped(daemon_dir: Path) -> None:
    pages = {"": {"items": [{"id": "k1"}], "next_cursor": "c1"}}
    async with hub_stack(daemon_dir, extra=SYNC, doubles=_doubles(pages)) as hub:
        await hub.daemon.storage.write(_store_cursor, "y" * 70_000)
        run = await _run(hub, "done")
        assert run["cursor_after"] == "c1" and run["items_written"] == 1


def _store_cursor(conn: Any, cursor: str) -> None:
    conn.execute("UPDATE sync_state SET cursor = ?", (cursor,))
