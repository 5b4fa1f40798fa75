"""One key=value line per event, actor names from the task, secrets never printed."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from recado import logs, redaction
from recado.logs import (
    add_secret,
    current_actor,
    get_logger,
    set_level,
    set_secrets,
    setup_logging,
)

SECRET = "EAAG-very-secret-token-123"
_PAIR = re.compile(r'([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)(?: |$)')
_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


def _parse(line: str) -> dict[str, str]:
    """Split a line the way a logfmt reader would; fails on anything malformed."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        match = _PAIR.match(line, pos)
        assert match, f"malformed at {pos}: {line[pos:]!r}"
        key, raw = match.groups()
        assert key not in fields, f"duplicate key {key}"
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m[1], "\\" + m[1]), raw[1:-1])
        fields[key] = raw
        pos = match.end()
    return fields


def _lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [_parse(line) for line in stream.getvalue().split("\n") if line]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    redaction._secrets.runtime = frozenset()
    set_secrets([])


def test_line_shape_and_quoting() -> None:
    stream = io.StringIO()
    setup_logging("debug", stream=stream)
    get_logger("storage").info("batch_committed", writes=12, ms=0.8)
    get_logger("storage").info(
        "odd_values",
        note='two words "quoted"',
        empty=None,
        blank="",
        multi="a\nb\r\nc",
        eq="a=b",
        backslash="C:\\tmp",
        accents="João",
        flag=True,
        sep="x\u2028y",
    )
    first, second = stream.getvalue().splitlines()
    assert re.fullmatch(
        r"ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info actor=main logger=storage "
        r"event=batch_committed writes=12 ms=0\.8",
        first,
    )
    assert 'note="two words \\"quoted\\""' in second
    assert 'empty=- blank=""' in second
    assert 'multi="a\\nb\\r\\nc"' in second
    assert 'eq="a=b"' in second and 'backslash="C:\\\\tmp"' in second
    assert 'accents="João"' in second and "flag=true" in second
    assert 'sep="x\\u2028y"' in second
    fields = _lines(stream)[1]
    assert fields["note"] == 'two words "quoted"'
    assert fields["multi"] == "a\nb\r\nc"
    assert fields["backslash"] == "C:\\tmp"
    assert fields["empty"] == "-"


def test_every_line_break_is_escaped() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)
    nasty = "a\nb\rc\x0bd\x0ce\x1cf\x85g\u2028h\u2029i\x00j"
    get_logger("x").info("nasty", value=nasty)
    logging.getLogger("hypercorn.error").info("multi\nline %s", nasty)
    text = stream.getvalue()
    assert len(text.splitlines()) == 2
    assert text.count("\n") == 2


def test_logger_name_only_when_not_the_actor() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)
    token = current_actor.set("storage")
    try:
        get_logger("storage").info("own")
        get_logger("supervisor").info("foreign")
    finally:
        current_actor.reset(token)
    own, foreign = _lines(stream)
    assert own["actor"] == "storage" and "logger" not in own
    assert foreign["actor"] == "storage" and foreign["logger"] == "supervisor"


def test_levels_and_reload() -> None:
    stream = io.StringIO()
    setup_logging("warning", stream=stream)
    log = get_logger("x")
    log.info("quiet")
    log.warning("loud")
    set_level("debug")
    log.debug("now_visible")
    with pytest.raises(ValueError, match="unknown log level 'verbose'"):
        set_level("verbose")
    assert [f["event"] for f in _lines(stream)] == ["loud", "now_visible"]
    assert [f["level"] for f in _lines(stream)] == ["warning", "debug"]


def test_setup_twice_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    setup_logging("info", stream=first)
    setup_logging("info", stream=second)
    get_logger("x").info("once")
    assert first.getvalue() == ""
    assert len(second.getvalue().splitlines()) == 1


def test_third_party_loggers_share_the_format() -> None:
    stream = io.StringIO()
    # What hypercorn does when given "-" as a log target: its own handler, unpropagated.
    access = logging.getLogger("hypercorn.access")
    stray = logging.StreamHandler(io.StringIO())
    access.addHandler(stray)
    access.propagate = False
    setup_logging("debug", stream=stream)
    assert stray not in access.handlers
    logging.getLogger("hypercorn.error").info("Running on http://%s (CTRL + C to quit)", "x:1")
    access.info('127.0.0.1 - "GET /dashboard 1.1" 200 512')
    logging.getLogger("httpx").info("HTTP Request: POST https://graph.example/v21.0/x")
    logging.getLogger("httpx").warning("retrying")
    lines = _lines(stream)
    assert [(f["logger"], f["level"]) for f in lines] == [
        ("hypercorn.error", "info"),
        ("hypercorn.access", "info"),
        ("httpx", "warning"),
    ]
    assert lines[0]["msg"] == "Running on http://x:1 (CTRL + C to quit)"
    assert lines[0]["actor"] == "main"


def test_an_unprintable_value_still_gives_a_line() -> None:
    class Bad:
        def __str__(self) -> str:
            raise RuntimeError("no")

    stream = io.StringIO()
    setup_logging("info", stream=stream)
    get_logger("x").info("odd", thing=Bad())
    assert _lines(stream)[0]["thing"] == "<unprintable Bad>"


def test_a_broken_format_string_still_gives_a_line() -> None:
    record = logging.LogRecord(
        "somelib", logging.INFO, __file__, 1, "bad format %s %s", ("only one",), None
    )
    fields = _parse(logs._Formatter().format(record))
    assert fields["msg"] == "'bad format %s %s' % ('only one',)"


def test_exception_fields() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)
    log = get_logger("graph")
    try:
        try:
            raise KeyError("inner")
        except KeyError as exc:
            raise RuntimeError("outer failed") from exc
    except RuntimeError:
        log.exception("send_failed", job=7)
        log.exception("request_failed", error_type="Custom")
    first, second = _lines(stream)
    assert first["error_type"] == "RuntimeError" and first["error"] == "outer failed"
    assert first["level"] == "error" and first["job"] == "7"
    tb = first["traceback"]
    assert tb.startswith("Traceback (most recent call last):")
    assert "KeyError: 'inner'" in tb and tb.endswith("RuntimeError: outer failed")
    assert second["error_type"] == "Custom"
    assert len(stream.getvalue().splitlines()) == 2


def test_huge_values_are_cut_to_fit_a_journal_line() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)

    # Two functions calling each other: Python folds runs of identical frames, not these.
    def ping(n: int) -> None:
        if n == 0:
            raise ValueError("bottom " + "x" * 100)
        pong(n - 1)

    def pong(n: int) -> None:
        ping(n - 1)

    try:
        ping(400)
    except ValueError:
        get_logger("x").exception("deep", body="y" * 100_000)
    (line,) = stream.getvalue().splitlines()
    assert len(line) < 48 * 1024
    fields = _parse(line)
    assert fields["body"].endswith("…[95904 chars cut]")
    # The tail of a traceback is the part worth keeping.
    assert fields["traceback"].endswith("ValueError: bottom " + "x" * 100)
    assert "chars cut]…" in fields["traceback"]


async def test_actor_is_inherited_by_the_tasks_an_actor_spawns() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)

    async def worker(tag: str) -> None:
        await trio.lowlevel.checkpoint()
        get_logger("worker").info("tick", tag=tag)

    async def supervise(name: str) -> None:
        # What the supervisor does: set the actor in the task that then opens the actor's
        # nursery; everything spawned inside inherits it.
        current_actor.set(name)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(worker, f"{name}-1")
            nursery.start_soon(worker, f"{name}-2")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(supervise, "sender")
        nursery.start_soon(supervise, "scheduler")
    get_logger("main").info("after")
    seen = sorted((f["tag"], f["actor"]) for f in _lines(stream) if f["event"] == "tick")
    assert seen == [
        ("scheduler-1", "scheduler"),
        ("scheduler-2", "scheduler"),
        ("sender-1", "sender"),
        ("sender-2", "sender"),
    ]
    # Setting it in a child does not leak into the parent.
    assert _lines(stream)[-1]["actor"] == "main"
    assert current_actor.get() == "main"


async def test_actor_survives_a_hop_to_a_thread() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)
    current_actor.set("storage")
    await trio.to_thread.run_sync(lambda: get_logger("storage").info("in_thread"))
    assert _lines(stream)[0]["actor"] == "storage"


def test_secrets_never_appear() -> None:
    stream = io.StringIO()
    setup_logging("info", secrets=[SECRET, "short", ""], stream=stream)
    log = get_logger("graph")
    log.info("sent", header=f"Authorization: Bearer {SECRET}", raw=SECRET)
    try:
        raise ValueError(f"token {SECRET} refused")
    except ValueError as exc:
        try:
            raise RuntimeError("while retrying") from exc
        except RuntimeError:
            log.exception("send_failed")
    # Third-party loggers, with the secret in places no pattern knows about.
    logging.getLogger("hypercorn.access").info(
        '127.0.0.1 - "GET /webhooks/whatsapp?hub.mode=subscribe&x=%s HTTP/1.1" 200', SECRET
    )
    try:
        raise OSError(f"connect failed for {SECRET}")
    except OSError:
        logging.getLogger("hypercorn.error").exception("Error in ASGI Framework")
    text = stream.getvalue()
    assert SECRET not in text
    # Nor a recognisable piece of it.
    assert "very-secret" not in text
    lines = _lines(stream)
    assert lines[0]["raw"] == "[redacted]"
    assert lines[0]["header"] == "Authorization: Bearer [redacted]"
    assert lines[1]["error"] == "while retrying"
    assert "token [redacted] refused" in lines[1]["traceback"]
    assert "x=[redacted]" in lines[2]["msg"]
    assert "connect failed for [redacted]" in lines[3]["traceback"]
    assert len(lines) == 4


def test_rotated_secrets_via_set_secrets() -> None:
    stream = io.StringIO()
    setup_logging("info", secrets=[SECRET], stream=stream)
    set_secrets(["rotated-secret-value"])
    log = get_logger("config")
    try:
        raise PermissionError("rotated-secret-value rejected")
    except PermissionError:
        log.exception("reload_failed", value="rotated-secret-value")
    text = stream.getvalue()
    assert "rotated-secret-value" not in text
    # The field, error=, and in the traceback both the source line and the message.
    assert text.count("[redacted]") == 4


def test_runtime_secret_outlives_a_reload() -> None:
    stream = io.StringIO()
    setup_logging("info", secrets=[SECRET], stream=stream)
    add_secret("EAAB-signup-token-xyz")
    set_secrets(["other-config-secret"])
    get_logger("x").info("leak", a="EAAB-signup-token-xyz", b="other-config-secret", c=SECRET)
    fields = _lines(stream)[0]
    assert fields["a"] == fields["b"] == "[redacted]"
    assert fields["c"] == SECRET  # replaced by the reload


def test_secret_needing_escapes_is_still_hidden() -> None:
    stream = io.StringIO()
    odd = 'pa"ss\\word\nwith breaks'
    setup_logging("info", secrets=[odd], stream=stream)
    get_logger("x").info("odd", value=f"before {odd} after")
    logging.getLogger("hypercorn.error").warning("raw %s", odd)
    lines = _lines(stream)
    assert lines[0]["value"] == "before [redacted] after"
    assert lines[1]["msg"] == "raw [redacted]"


def test_token_shaped_values_without_configuring_them() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)
    log = get_logger("signup")
    log.info(
        "exchange",
        url="https://graph.example/oauth/access_token?client_id=1&client_secret=abc123"
        "&code=AQBx-yz&redirect_uri=x",
        verify="/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=tok_9&hub.challenge=42",
        body='{"access_token": "EAAGxyz", "token_type": "bearer"}',
        auth="bearer abc.def-ghi~jkl+/==",
    )
    logging.getLogger("httpx").warning("GET https://g/x?access_token=EAAG1&fields=id")
    # Our own fields and Graph's error codes are not secrets.
    log.info("graph_error", code=190, error_code=131047, status_code=400, next="?a=1&code=2")
    text = stream.getvalue()
    for leaked in ("abc123", "AQBx-yz", "tok_9", "EAAGxyz", "abc.def", "EAAG1"):
        assert leaked not in text
    first, second, third = _lines(stream)
    assert first["url"] == (
        "https://graph.example/oauth/access_token?client_id=1&client_secret=[redacted]"
        "&code=[redacted]&redirect_uri=x"
    )
    assert "hub.verify_token=[redacted]&hub.challenge=42" in first["verify"]
    assert first["body"] == '{"access_token": "[redacted]", "token_type": "bearer"}'
    assert first["auth"] == "bearer [redacted]"
    assert second["msg"] == "GET https://g/x?access_token=[redacted]&fields=id"
    assert third["code"] == "190" and third["error_code"] == "131047"
    assert third["status_code"] == "400" and third["next"] == "?a=1&code=[redacted]"


def test_reserved_keys_are_not_duplicated() -> None:
    stream = io.StringIO()
    setup_logging("info", stream=stream)
    get_logger("x").info("clash", level="mine", actor="other", ts=1)
    fields = _lines(stream)[0]  # _parse fails on duplicate keys
    assert fields["level"] == "info" and fields["field_level"] == "mine"
    assert fields["field_actor"] == "other" and fields["field_ts"] == "1"


def test_journal_priority_prefix_only_on_the_journal_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open(tmp_path / "out", "w+", encoding="utf-8") as stream:
        st = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        setup_logging("debug", stream=stream)
        log = get_logger("x")
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")
        stream.flush()
        stream.seek(0)
        prefixes = [line[:3] for line in stream.read().splitlines()]
    assert prefixes == ["<7>", "<6>", "<4>", "<3>"]
    # Redirected elsewhere (a file, a pipe, a test): no prefix.
    other = io.StringIO()
    setup_logging("info", stream=other)
    get_logger("x").error("e")
    assert other.getvalue().startswith("ts=")
