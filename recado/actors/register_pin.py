"""The PIN a new number is registered with (``/register``): it becomes the number's two-step
verification PIN, or must equal the one it has (WHATSAPP.md §9)."""

from __future__ import annotations

import secrets

from recado.logs import add_secret
from recado.runtime.context import Daemon
from recado.runtime.keyring import KeyRing, KeyUnavailable, purpose_of
from recado.storage import whatsapp_connections as cs
from recado.token_crypto import Unreadable

# How each PIN came to be, in the connection's history (pt-BR, English).
PIN_SOURCES = {
    "generated": ("PIN novo, gerado pelo recado", "a new PIN, made by recado"),
    "file": ("PIN do arquivo whatsapp.register_pin_file", "the PIN of whatsapp.register_pin_file"),
    "kept": ("o PIN que o número já tinha", "the PIN the number already had"),
}


async def register_pin(daemon: Daemon, keys: KeyRing, phone_number_id: str) -> tuple[str, str]:
    """(PIN, source): the configured one, the one this number was registered with before,
    or a new one made with ``secrets``. Every one is registered for redaction."""
    configured = daemon.config.whatsapp.register_pin
    if configured:
        return configured, "file"
    for row in await daemon.storage.read(cs.pins_of, phone_number_id):
        try:
            pin = keys.decrypt(
                row["pin_key_id"],
                bytes(row["pin_ct"]),
                purpose_of("whatsapp_connections", row["id"], "pin_ct"),
            )
        except (KeyUnavailable, Unreadable):
            continue  # sealed under a key this master key cannot open: a new PIN
        add_secret(pin)
        return pin, "kept"
    pin = f"{secrets.randbelow(10**6):06d}"
    add_secret(pin)
    return pin, "generated"
