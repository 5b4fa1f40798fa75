"""Keys the daemon makes for itself when the operator gave none.

A fresh install must start with no secrets configured, yet the operator actions and the
events API must never be open to anyone who can reach the port. So on first start the daemon
writes a random API key and a random encryption key into the data directory (mode 0600
whatever the umask) and uses them until the operator configures their own
(``security.api_key_file`` / ``security.secret_key_file``, or the matching ``RECADO_…``
variables).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path

from recado.private_files import write_private
from recado.text_files import NotUtf8, read_utf8

API_KEY_FILE = "api_key"
SECRET_KEY_FILE = "secret_key"


class LocalKeyError(Exception):
    """A generated key file that cannot be used; the message names it and says why."""


def _read_or_create(path: Path, make: str) -> tuple[str, bool]:
    try:
        return read_utf8(path).strip(), False
    except FileNotFoundError:
        pass
    except NotUtf8 as exc:
        raise LocalKeyError(str(exc)) from None
    except OSError as exc:
        raise LocalKeyError(f"{path}: cannot read ({exc.strerror})") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, (make + "\n").encode())
    return make, True


def local_api_key(data_dir: Path) -> tuple[str, bool]:
    """The generated API key and whether it was created just now."""
    return _read_or_create(data_dir / API_KEY_FILE, secrets.token_urlsafe(32))


def local_secret_key(data_dir: Path) -> tuple[bytes, bool]:
    path = data_dir / SECRET_KEY_FILE
    text, created = _read_or_create(path, base64.b64encode(secrets.token_bytes(32)).decode())
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise LocalKeyError(
            f"{path}: not base64 of exactly 32 bytes (expected the key the daemon wrote: "
            "restore the file, or delete it to have a new one made, which voids the voucher "
            "links already sent)"
        )
    return key, created


def read_local_api_key(data_dir: Path) -> str | None:
    """For the CLI: the daemon's generated key, if this user may read it."""
    try:
        return read_utf8(data_dir / API_KEY_FILE).strip() or None
    except (OSError, NotUtf8):
        return None
