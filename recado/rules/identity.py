"""Who a payload is about: a customer is one person, known by a business-scoped user id
(BSUID), a phone, or both (docs/reference.md §7).

Since April 2026 Meta names every WhatsApp user by a BSUID (``BR.1502576394655843``) and may
leave the phone out for a user with a username. So a customer holds what is known of
them: the BSUID exactly as received (never through the phone normaliser), the phone in
E.164, Meta's ``wa_id`` digits when they differ from that phone (a Brazilian account older
than the 9th digit), the username and the profile name. The ids a customer had (an old
BSUID, an old phone) stay as aliases, so a late webhook naming them still finds the person.

This module decides, without I/O, what a customer's ids become when a payload proves who it
is about (``linked_ids``); ``storage/customers.py`` looks the keys up, merges and writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from recado.rules.phone import phone_of_wa_id, wa_id_of

BSUID = "bsuid"
PHONE = "phone"
WA_ID = "wa_id"
KINDS = (BSUID, PHONE, WA_ID)

Key = tuple[str, str]  # (kind, value)

# ``CC.`` and alphanumerics, with the parent form ``CC.ENT.…``: only to tell one from a
# phone where Meta's field may hold either; a BSUID is otherwise never checked or changed.
_BSUID = re.compile(r"[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}")


def looks_like_bsuid(text: str) -> bool:
    return bool(_BSUID.fullmatch(text))


@dataclass(frozen=True)
class Identity:
    """What one payload says about a person; any field may be absent."""

    bsuid: str | None = None
    wa_id: str | None = None  # Meta's digits (``from``, ``wa_id``, ``recipient_id``)
    phone: str | None = None  # E.164, as the studio's systems name a client
    username: str | None = None
    profile_name: str | None = None

    def lookup_keys(self) -> list[Key]:
        """Every stored key that names this person: a ``wa_id`` is found as Meta's digits
        or as the phone they spell."""
        keys: list[Key] = []
        if self.bsuid:
            keys.append((BSUID, self.bsuid))
        if self.phone:
            keys.append((PHONE, self.phone))
        if self.wa_id:
            spelled = phone_of_wa_id(self.wa_id)
            if spelled and spelled != self.phone:
                keys.append((PHONE, spelled))
            keys.append((WA_ID, self.wa_id))
        return keys

    @property
    def has_key(self) -> bool:
        return bool(self.bsuid or self.phone or self.wa_id)


@dataclass(frozen=True)
class Ids:
    """A customer's current ids (at least one is set)."""

    bsuid: str | None = None
    phone: str | None = None
    wa_id: str | None = None  # only when it differs from the phone's digits

    def as_keys(self) -> list[Key]:
        pairs = ((BSUID, self.bsuid), (PHONE, self.phone), (WA_ID, self.wa_id))
        return [(k, v) for k, v in pairs if v]


def linked_ids(found: Sequence[Ids], carried: Identity) -> Ids:
    """The ids of the one customer that ``found`` (the customers the payload's keys named,
    oldest first; empty for a new one) become once ``carried`` proves they are one person.

    What the payload carries wins: it is the newest word on the person. A kind it does not
    carry keeps the oldest customer's value, else the next one's. A ``wa_id`` that spells
    the phone is not kept apart; one that differs is kept beside the phone, never replacing
    it (Meta's digits for a Brazilian account may lack the 9th digit the studio's number
    has, and both reach the same person)."""
    bsuid = carried.bsuid or _first(f.bsuid for f in found)
    wa_id = carried.wa_id
    phone = carried.phone or _first(f.phone for f in found)
    if phone is None and wa_id is not None:
        phone = phone_of_wa_id(wa_id)
    if wa_id is None:
        wa_id = _first(f.wa_id for f in found)
    if wa_id is not None and phone is not None and wa_id_of(phone) == wa_id:
        wa_id = None
    return Ids(bsuid, phone, wa_id)


def retired_keys(found: Sequence[Ids], after: Ids) -> list[Key]:
    """Keys the customers had that are no longer current once they are ``after``."""
    now = set(after.as_keys())
    out: list[Key] = []
    for ids in found:
        out.extend(k for k in ids.as_keys() if k not in now and k not in out)
    return out


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)
