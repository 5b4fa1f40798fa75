"""Which token and phone number the sender uses: the active connection's (Embedded Signup,
decrypted from the database) or else the config file's (``access_token_file`` and
``phone_number_id``), as before connections existed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from recado.config import WhatsAppSection


@dataclass(frozen=True)
class Credentials:
    token: str = field(repr=False)
    phone_number_id: str
    source: str  # connection | config
    connection_id: int | None = None
    waba_id: str = ""  # the account its templates are read from ("" when none is known)

    @property
    def fingerprint(self) -> str:
        """Names the token in a pause record without being the token."""
        return token_fingerprint(self.token)


def token_fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def from_config(wa: WhatsAppSection) -> Credentials | None:
    if wa.access_token and wa.phone_number_id:
        return Credentials(wa.access_token, wa.phone_number_id, "config", waba_id=wa.waba_id)
    return None


def choose(connection: Credentials | None, wa: WhatsAppSection) -> Credentials | None:
    """The active connection wins; the config file's token is the fallback."""
    return connection if connection is not None else from_config(wa)
