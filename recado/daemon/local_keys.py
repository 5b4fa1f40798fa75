"""Keys the daemon makes for itself when the operator gave none.

A fresh install must start with no secrets configured, yet the operator actions and the
events API must never be open to anyone who can reach the port. So on first start the daemon
writes a random API key and a random encryption key into the data directory (mode 0600) and
uses them until the operator configures their own (``security.api_key_file`` /
``security.secret_key_file``, or the matching ``RECADO_…`` variables).
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

API_KEY_FILE = "api_key"
SECRET_KEY_FILE = "secret_key"


def _read_or_create(path: Path, make: str) -> tuple[str, bool]:
    try:
        return path.read_text("utf-8").strip(), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(make + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return make, True


def local_api_key(data_dir: Path) -> tuple[str, bool]:
    """The generated API key and whether it was created just now."""
    return _read_or_create(data_dir / API_KEY_FILE, secrets.token_urlsafe(32))


def local_secret_key(data_dir: Path) -> tuple[bytes, bool]:
    text, created = _read_or_create(
        data_dir / SECRET_KEY_FILE, base64.b64encode(secrets.token_bytes(32)).decode()
    )
    key = base64.b64decode(text)
    if len(key) != 32:
        raise ValueError(f"{data_dir / SECRET_KEY_FILE} must hold base64 of exactly 32 bytes")
    return key, created


def read_local_api_key(data_dir: Path) -> str | None:
    """For the CLI: the daemon's generated key, if this user may read it."""
    try:
        return (data_dir / API_KEY_FILE).read_text("utf-8").strip() or None
    except OSError:
        return None
