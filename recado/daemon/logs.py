"""Structured logs: one ``key=value`` line per event on stdout, secrets redacted."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

current_actor: contextvars.ContextVar[str] = contextvars.ContextVar("current_actor", default="main")

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_SAFE = re.compile(r"^[A-Za-z0-9_.:/@+\-,]+$")
_PATTERNS = [
    (re.compile(r"(Bearer\s+)[^\s\"']+"), r"\1[redacted]"),
    (
        re.compile(r"((?:access_token|client_secret|code|hub\.verify_token)=)[^&\s\"']+"),
        r"\1[redacted]",
    ),
]


def _quote(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    if text and _SAFE.match(text):
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


class _Formatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[str] = []

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {}) or {}
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        parts = [
            f"ts={ts}Z",
            f"level={record.levelname.lower()}",
            f"actor={_quote(current_actor.get())}",
        ]
        event = getattr(record, "event", None)
        if event is None:
            parts.append(f"logger={_quote(record.name)}")
            parts.append(f"msg={_quote(record.getMessage())}")
        else:
            parts.append(f"event={_quote(event)}")
        parts.extend(f"{k}={_quote(v)}" for k, v in fields.items())
        if record.exc_info and record.exc_info[0] is not None:
            etype, evalue, tb = record.exc_info
            parts.append(f"error={_quote(f'{etype.__name__}: {evalue}')}")
            parts.append(
                f"traceback={_quote(''.join(traceback.format_exception(etype, evalue, tb)))}"
            )
        return self.redact(" ".join(parts))

    def redact(self, line: str) -> str:
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        for pattern, repl in _PATTERNS:
            line = pattern.sub(repl, line)
        return line


_formatter = _Formatter()
_handler: logging.Handler | None = None


def setup_logging(
    level: str = "info", secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> None:
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(stream or sys.stdout)
    _handler.setFormatter(_formatter)
    root.addHandler(_handler)
    set_level(level)
    set_secrets(secrets)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def set_level(level: str) -> None:
    logging.getLogger().setLevel(_LEVELS.get(level, logging.INFO))


def set_secrets(secrets: Iterable[str]) -> None:
    _formatter.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)


class EventLogger:
    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(f"recado.{name}")

    def _log(self, level: int, event: str, fields: dict[str, Any], exc_info: bool = False) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(
                level, event, extra={"event": event, "fields": fields}, exc_info=exc_info
            )

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields, exc_info=True)


def get_logger(name: str) -> EventLogger:
    return EventLogger(name)
