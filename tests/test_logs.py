"""One key=value line per event, actor names from the task, secrets never printed."""

from __future__ import annotations

import io
import logging
import shlex

import trio
import trio.lowlevel

from recado.daemon.logs import current_actor, get_logger, set_secrets, setup_logging

SECRET = "EAAG-very-secret-token-123"


def _lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [
        dict(p.split("=", 1) for p in shlex.split(line)) for line in stream.getvalue().splitlines()
    ]


def test_one_line_per_event_with_quoting() -> None:
    stream = io.StringIO()
    setup_logging("debug", stream=stream)
    get_logger("storage").info(
        "batch_committed", writes=12, note='two words "quoted"', empty=None, multi="a\nb"
    )
    (line,) = stream.getvalue().splitlines()
    fields = _lines(stream)[0]
    assert fields["level"] == "info" and fields["event"] == "batch_committed"
    assert fields["writes"] == "12" and fields["empty"] == "-"
    assert fields["note"] == 'two words "quoted"'
    assert fields["multi"] == "a\\nb"
    assert fields["actor"] == "main"
    assert line.startswith("ts=")


def test_level_filters() -> None:
    stream = io.StringIO()
    setup_logging("warning", stream=stream)
    get_logger("x").info("quiet")
    get_logger("x").warning("loud")
    assert [f["event"] for f in _lines(stream)] == ["loud"]


async def test_actor_comes_from_the_task_that_logs() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)

    async def actor(name: str) -> None:
        current_actor.set(name)
        await trio.lowlevel.checkpoint()
        get_logger("any").info("tick")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(actor, "sender")
        nursery.start_soon(actor, "scheduler")
    assert sorted(f["actor"] for f in _lines(stream)) == ["scheduler", "sender"]


def test_secrets_are_redacted_everywhere() -> None:
    stream = io.StringIO()
    setup_logging("info", secrets=[SECRET], stream=stream)
    log = get_logger("graph")
    log.info("sent", header=f"Authorization: Bearer {SECRET}")
    try:
        raise ValueError(f"token {SECRET} refused")
    except ValueError:
        log.exception("send_failed")
    logging.getLogger("hypercorn.access").warning("GET /x?access_token=%s 200", SECRET)
    logging.getLogger("httpx").error("https://graph/oauth?client_secret=abc&code=xyz")
    set_secrets(["rotated-secret-value"])
    log.info("reloaded", value="rotated-secret-value")
    text = stream.getvalue()
    assert SECRET not in text
    assert "rotated-secret-value" not in text
    assert "client_secret=[redacted]" in text and "code=[redacted]" in text
    assert "Bearer [redacted]" in text
    assert "traceback=" in text and "ValueError" in text
    assert len(text.splitlines()) == 5
