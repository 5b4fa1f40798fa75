"""The data keys in memory: encrypt under the current one, decrypt under any, rotate.

Loaded on first use: the wrapped keys are read and opened with the master key; keys wrapped
under the previous master key (``security.previous_secret_key_file``, for the start after
the operator changed the master key) are re-wrapped under the current one. A key neither
opens is kept out (its ciphertexts cannot be read, and say so), never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import trio

from recado import token_crypto as tc
from recado.clock import Clock
from recado.logs import get_logger
from recado.storage import crypto_keys as ck
from recado.storage.actor import Storage

log = get_logger("keyring")

ROTATION_TRIES = 3


class KeyUnavailable(Exception):
    """The ciphertext's data key is not in the ring (unknown, or under another master key)."""


@dataclass(frozen=True)
class Rotation:
    key_id: str
    reencrypted: int
    retired: list[str]


class KeyRing:
    def __init__(
        self, storage: Storage, clock: Clock, secret_key: bytes, previous_key: bytes = b""
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._master = tc.master_key(secret_key)
        self._previous = tc.master_key(previous_key) if previous_key else None
        self._keys: dict[str, tc.DataKey] = {}
        self._current: tc.DataKey | None = None
        self.unreadable: list[str] = []
        self._lock = trio.Lock()

    @property
    def master_id(self) -> str:
        return self._master.id

    async def ready(self) -> None:
        """Load (once) and, on a fresh database, make the first data key."""
        async with self._lock:
            if self._current is None:
                await self._load()

    async def _load(self) -> None:
        rows = await self._storage.read(ck.data_keys)
        if not rows:
            first = tc.new_data_key()
            wrapped = tc.wrap(self._master, first)
            made = await self._storage.write(
                ck.add_data_key, first.id, self._master.id, wrapped, self._clock.now(), False
            )
            if made:
                log.info("data_key_created", key_id=first.id)
            rows = await self._storage.read(ck.data_keys)
        keys: dict[str, tc.DataKey] = {}
        rewrapped: list[tuple[str, str, bytes]] = []
        unreadable: list[str] = []
        current: tc.DataKey | None = None
        for row in rows:
            key = self._open(row)
            if key is None:
                unreadable.append(row["id"])
                continue
            if row["master_id"] != self._master.id:
                rewrapped.append((key.id, self._master.id, tc.wrap(self._master, key)))
            keys[key.id] = key
            if row["is_current"]:
                current = key
        if rewrapped:
            await self._storage.write(ck.rewrap_keys, rewrapped, self._clock.now())
            log.warning("data_keys_rewrapped", keys=len(rewrapped), master_id=self._master.id)
        if unreadable:
            log.error(
                "data_keys_unreadable",
                keys=",".join(unreadable),
                hint="the master key changed: set security.previous_secret_key_file to the "
                "old key for one start, or connect WhatsApp again",
            )
        if current is None:
            # The current key cannot be opened: new secrets go under a fresh key; the keys
            # that cannot be opened stay as they are, for the old master key to open.
            current = tc.new_data_key()
            wrapped = tc.wrap(self._master, current)
            await self._storage.write(
                ck.add_data_key, current.id, self._master.id, wrapped, self._clock.now(), True
            )
            keys[current.id] = current
        self._keys, self._current, self.unreadable = keys, current, unreadable

    def _open(self, row: dict[str, Any]) -> tc.DataKey | None:
        wrapped = bytes(row["wrapped"])
        key_id = str(row["id"])
        for master in (self._master, self._previous):
            if master is None or master.id != row["master_id"]:
                continue
            try:
                return tc.unwrap(master, key_id, wrapped)
            except tc.Unreadable:
                return None
        return None

    def encrypt(self, plaintext: str, purpose: str) -> tuple[str, bytes]:
        """(key id, ciphertext) under the current data key; ``ready()`` first."""
        if self._current is None:
            raise KeyUnavailable("the key ring is not loaded")
        return self._current.id, tc.encrypt(self._current, plaintext, purpose)

    def decrypt(self, key_id: str, blob: bytes, purpose: str) -> str:
        key = self._keys.get(key_id)
        if key is None:
            raise KeyUnavailable(f"data key {key_id} is not available")
        return tc.decrypt(key, blob, purpose)

    async def rotate(self, source_ip: str) -> Rotation:
        """A new data key; every ciphertext re-encrypted under it in one transaction, while
        the daemon runs (what is in memory, the decrypted token the sender uses, does not
        change). A ciphertext written meanwhile makes the write fail whole and it is
        tried again."""
        await self.ready()
        async with self._lock:
            for attempt in range(1, ROTATION_TRIES + 1):
                new = tc.new_data_key()
                sealed = await self._storage.read(ck.sealed_values)
                replaced = []
                for old in sealed:
                    purpose = purpose_of(old.table, old.row_id, old.column)
                    plain = self.decrypt(old.key_id, old.blob, purpose)
                    replaced.append((old, tc.encrypt(new, plain, purpose)))
                try:
                    detail = await self._storage.write(
                        ck.rotate,
                        (new.id, self._master.id, tc.wrap(self._master, new)),
                        replaced,
                        self._clock.now(),
                        source_ip,
                    )
                except ck.RotationRaced as exc:
                    log.info("key_rotation_raced", attempt=attempt, detail=str(exc))
                    continue
                self._keys = {new.id: new}
                self._current = new
                self.unreadable = []
                log.info("data_key_rotated", key_id=new.id, reencrypted=len(replaced))
                return Rotation(new.id, detail["reencrypted"], detail["retired"])
        raise RuntimeError(f"the rotation raced with new ciphertexts {ROTATION_TRIES} times")


def purpose_of(table: str, row_id: int, column: str) -> str:
    """What a ciphertext is bound to: its row and its field."""
    return f"{table}:{row_id}:{column}"
