"""Secrets at rest (Meta's business tokens, the two-step PIN): AES-256-GCM, envelope style.

The master key (``security.secret_key``: a file, an environment variable, a systemd
credential, or the key the daemon generated) never encrypts a secret itself. A key-encryption
key derived from it (HKDF-SHA256 under a label of its own, so the voucher links and the page
tokens, which use the same master key, never share a key with it) wraps random *data keys*,
and the data keys encrypt the secrets. Every ciphertext is stored beside the id of its data
key, every wrapped data key beside the id of the master key that wrapped it:

- rotating the data key (``recado keys rotate``) re-encrypts the ciphertexts under a new one,
  online, in one transaction;
- changing the master key only re-wraps the data keys (``security.previous_secret_key_file``
  names the old one for the start that re-wraps them).

Each ciphertext is bound to what it is for (the associated data, e.g. the connection row and
the field), so a ciphertext copied into another row or field does not decrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_BYTES",
    "DataKey",
    "MasterKey",
    "Unreadable",
    "decrypt",
    "encrypt",
    "master_key",
    "new_data_key",
    "unwrap",
    "wrap",
]

KEY_BYTES = 32
NONCE_BYTES = 12
_KEK_LABEL = b"recado token encryption key v1"
_ID_LABEL = b"recado master key id v1"
# A GCM nonce must never repeat under one key: random 96-bit nonces are safe far beyond the
# number of secrets a studio's daemon will ever encrypt under one data key.


class Unreadable(Exception):
    """A wrapped key or a ciphertext that the key at hand cannot open (wrong key, a changed
    byte, or a ciphertext moved to another row)."""


@dataclass(frozen=True)
class MasterKey:
    id: str
    kek: bytes = field(repr=False)


@dataclass(frozen=True)
class DataKey:
    id: str
    key: bytes = field(repr=False)


def master_key(secret_key: bytes) -> MasterKey:
    """The key-encryption key derived from the master key, with an id that says which master
    key it came from without saying anything about the key."""
    if len(secret_key) != KEY_BYTES:
        raise ValueError(f"the master key must be {KEY_BYTES} bytes, got {len(secret_key)}")
    kek = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_KEK_LABEL).derive(
        secret_key
    )
    key_id = "mk_" + hmac.new(kek, _ID_LABEL, hashlib.sha256).hexdigest()[:16]
    return MasterKey(key_id, kek)


def new_data_key() -> DataKey:
    return DataKey("dk_" + secrets.token_hex(8), AESGCM.generate_key(bit_length=256))


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + 16:
        raise Unreadable("too short to be a ciphertext")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise Unreadable("the key does not open it, or it was changed") from None


def wrap(master: MasterKey, data_key: DataKey) -> bytes:
    return _seal(master.kek, data_key.key, _wrap_aad(master.id, data_key.id))


def unwrap(master: MasterKey, key_id: str, wrapped: bytes) -> DataKey:
    key = _open(master.kek, wrapped, _wrap_aad(master.id, key_id))
    if len(key) != KEY_BYTES:
        raise Unreadable("not a data key")
    return DataKey(key_id, key)


def _wrap_aad(master_id: str, key_id: str) -> bytes:
    return f"data key {key_id} under {master_id}".encode()


def encrypt(data_key: DataKey, plaintext: str, purpose: str) -> bytes:
    """``plaintext`` sealed under ``data_key`` and bound to ``purpose`` (e.g.
    ``"whatsapp_connection:3:token"``)."""
    return _seal(data_key.key, plaintext.encode("utf-8"), _aad(data_key.id, purpose))


def decrypt(data_key: DataKey, blob: bytes, purpose: str) -> str:
    return _open(data_key.key, blob, _aad(data_key.id, purpose)).decode("utf-8")


def _aad(key_id: str, purpose: str) -> bytes:
    return f"{purpose} under {key_id}".encode()
