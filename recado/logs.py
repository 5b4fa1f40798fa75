"""Structured logs: one ``key=value`` line per event on stdout, secrets redacted.

A line reads ``ts=… level=info actor=storage event=batch_committed writes=12 ms=0.8``.
Values that would break a naive ``key=value`` split (spaces, quotes, ``=``, non-ASCII,
control characters) are double-quoted with ``\\`` and ``"`` escaped and newlines written as
``\\n``, so one event is always one journal entry, tracebacks included.

Every record goes through one root handler, ours and third-party alike (hypercorn, httpx,
quart), and redaction (``recado.redaction``, shared with the clients that take in peer text)
runs on each value and again on the finished line, so a token cannot slip out through an
exception message, a traceback or someone else's log call.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable
from typing import IO, Any

from recado.redaction import add_secret, add_variant, redact, set_secrets

__all__ = [
    "EventLogger",
    "add_secret",
    "current_actor",
    "get_logger",
    "redact",
    "set_level",
    "set_secrets",
    "setup_logging",
]

current_actor: contextvars.ContextVar[str] = contextvars.ContextVar("current_actor", default="main")

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
# journald splits entries longer than its LineMax (48 KiB by default); keep well below it.
MAX_VALUE_CHARS = 4096
MAX_TRACEBACK_CHARS = 16384

# Loggers of libraries that log on their own. httpx logs every request with its URL at
# info, which would flood the journal (and URLs are where tokens hide).
_THIRD_PARTY = ("hypercorn.error", "hypercorn.access", "httpx", "httpcore")
_QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING}

# Keys the line itself uses; a caller's field with one of these names is renamed, not lost.
_RESERVED = frozenset({"ts", "level", "actor", "event", "logger", "msg"})
_SAFE = re.compile(r"[A-Za-z0-9_.:/@+\-,\[\]]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Everything str.splitlines() would break on, plus the rest of C0 and DEL, so that no
# reader (journald, Python, an editor) ever sees two lines.
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f\x85\u2028\u2029]')

_SYSLOG_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


def _escape(text: str) -> str:
    return _NEEDS_ESCAPE.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    char = match[0]
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# The final-line pass sees values after quoting.
add_variant(_escape)


def _truncate(text: str, limit: int, *, keep_tail: bool = False) -> str:
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    if keep_tail:
        # The end of a traceback holds the innermost frame and the exception itself.
        return f"[{cut} chars cut]…" + text[cut:]
    return text[:limit] + f"…[{cut} chars cut]"


def _str(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        # An object whose __str__ fails must not cost the whole line.
        return f"<unprintable {type(value).__name__}>"


def _value(value: Any, limit: int = MAX_VALUE_CHARS, *, keep_tail: bool = False) -> str:
    if value is None:
        return "-"
    text = ("true" if value else "false") if isinstance(value, bool) else _str(value)
    # Redact before cutting, or a secret straddling the cut would leave a recognisable half.
    text = _truncate(redact(text), limit, keep_tail=keep_tail)
    if _SAFE.fullmatch(text):
        return text
    return f'"{_escape(text)}"'


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        actor = current_actor.get()
        parts = [
            f"ts={ts}.{int(record.msecs):03d}Z",
            f"level={record.levelname.lower()}",
            f"actor={_value(actor)}",
        ]
        event: str | None = getattr(record, "recado_event", None)
        fields: dict[str, Any] = {}
        if event is None:
            # A third-party record: keep its logger name and its rendered message.
            parts.append(f"logger={_value(record.name)}")
            try:
                message = record.getMessage()
            except Exception:
                # A library's bad format string must not cost us the line.
                message = f"{record.msg!r} % {record.args!r}"
            parts.append(f"msg={_value(message)}")
        else:
            name = getattr(record, "recado_name", record.name)
            if name != actor:
                parts.append(f"logger={_value(name)}")
            parts.append(f"event={_value(event)}")
            fields = getattr(record, "recado_fields", {})
        for key, value in fields.items():
            parts.append(f"{'field_' + key if key in _RESERVED else key}={_value(value)}")
        if record.exc_info and record.exc_info[0] is not None:
            etype, evalue, tb = record.exc_info
            if "error_type" not in fields:
                parts.append(f"error_type={_value(etype.__name__)}")
            if "error" not in fields:
                parts.append(f"error={_value(_str(evalue))}")
            text = "".join(traceback.format_exception(etype, evalue, tb)).rstrip("\n")
            parts.append(f"traceback={_value(text, MAX_TRACEBACK_CHARS, keep_tail=True)}")
        # Second pass over the whole line: cheap insurance for whatever the per-value pass
        # could not see (a secret split across a key and its value, an escaped form).
        return redact(" ".join(parts))


class _Handler(logging.StreamHandler[IO[str]]):
    """A stream handler that, when its stream is the service's journal connection, prefixes
    the syslog priority (``<3>``) that journald strips and turns into PRIORITY=, so
    ``journalctl -p warning`` and colouring work. The visible line is unchanged."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self.journal = _is_journal(stream)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if self.journal:
            return f"<{_SYSLOG_PRIORITY.get(record.levelno, 6)}>{line}"
        return line


def _is_journal(stream: IO[str]) -> bool:
    # systemd sets JOURNAL_STREAM=<dev>:<ino> of the socket it gave us as stdout/stderr;
    # comparing it with the stream's own identity avoids prefixing when output is redirected.
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return expected == f"{st.st_dev}:{st.st_ino}"


_handler: _Handler | None = None


def setup_logging(
    level: str = "info", secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> None:
    """Send every log record to ``stream`` (stdout) as one redacted ``key=value`` line.

    Idempotent: a second call replaces the handler (and the level and secrets), so the
    daemon can start with defaults and call it again once the config is loaded.
    """
    global _handler
    root = logging.getLogger()
    handler = _Handler(stream if stream is not None else sys.stdout)
    handler.setFormatter(_Formatter())
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    _handler = handler
    for name in _THIRD_PARTY:
        logger = logging.getLogger(name)
        # Undo a library's own handler setup (hypercorn adds one, unpropagated, when given
        # "-" as a log target) so its lines come out in our format, once.
        for own in list(logger.handlers):
            logger.removeHandler(own)
        logger.propagate = True
        logger.setLevel(_QUIET.get(name, logging.NOTSET))
    set_level(level)
    set_secrets(secrets)


def set_level(level: str) -> None:
    """Change the level of every logger but the quiet third-party ones (config reload)."""
    try:
        value = LEVELS[level.lower()]
    except KeyError:
        raise ValueError(
            f"unknown log level {level!r} (expected one of {', '.join(LEVELS)})"
        ) from None
    logging.getLogger().setLevel(value)


class EventLogger:
    """``log.info("batch_committed", writes=12)``: an event name and its fields."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger = logging.getLogger(f"recado.{name}")

    def _log(self, level: int, event: str, fields: dict[str, Any], exc_info: bool) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(
                level,
                event,
                extra={"recado_event": event, "recado_fields": fields, "recado_name": self.name},
                exc_info=exc_info,
            )

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields, False)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields, False)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields, False)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields, False)

    def exception(self, event: str, **fields: Any) -> None:
        """Like :meth:`error`, plus ``error_type=``, ``error=`` and ``traceback=`` of the
        exception being handled (a field the caller already gave wins)."""
        self._log(logging.ERROR, event, fields, True)


def get_logger(name: str) -> EventLogger:
    """The logger for a module or actor; ``name`` shows as ``logger=`` only when it is not
    the actor the line is logged from."""
    return EventLogger(name)
