"""Reading the text files the daemon is given (the config, secret files, generated keys).

They are meant to be UTF-8, but an editor may have saved one as Latin-1 (``# Estúdio``), or
with a byte-order mark. A wrong byte is named with where it is, never a traceback; a mark is
dropped, so it does not end up inside a secret.
"""

from __future__ import annotations

import codecs
from pathlib import Path

__all__ = ["NotUtf8", "read_utf8"]


class NotUtf8(ValueError):
    """The file is not UTF-8; the message names it and the first bad byte."""


def read_utf8(path: Path) -> str:
    """The file's text; raises ``OSError`` when it cannot be read, ``NotUtf8`` when it is
    not UTF-8."""
    raw = path.read_bytes()
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(
            f"{path}: not valid UTF-8 at byte {skip + exc.start} (expected the file saved as UTF-8)"
        ) from None
