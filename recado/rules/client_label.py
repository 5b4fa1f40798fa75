"""How a page names a client (docs/reference.md §9.2): the WhatsApp profile name, else the
username, else the end of the business-scoped user id (a BSUID is long and says nothing to a
person), and the phone beside it when recado knows one; a client known only by phone is
named by it."""

from __future__ import annotations

from dataclasses import dataclass

from recado.rules.phone import DEFAULT_REGION, display_phone

# What of a BSUID is shown: enough to tell two clients apart on one studio's pages.
BSUID_TAIL = 6
# Names and usernames are the client's own text: a page shows this much of them.
NAME_MAX = 80


@dataclass(frozen=True)
class ClientLabel:
    title: str
    phone: str | None  # shown beside the title; None when it is the title or unknown


def client_label(
    *,
    name: str | None,
    username: str | None = None,
    bsuid: str | None = None,
    phone: str | None = None,
    region: str = DEFAULT_REGION,
) -> ClientLabel:
    """``phone`` in E.164; shown as the operator reads it: national format for the studio's
    country ``region`` (``(11) 98765-4321``), international for others."""
    phone = _clean(phone)
    if phone is not None:
        phone = display_phone(phone, region)
    for title in (_clean(name), _username(username)):
        if title:
            return ClientLabel(title, phone)
    bsuid = _clean(bsuid)
    if bsuid:
        tail = bsuid[-BSUID_TAIL:]
        return ClientLabel(tail if len(bsuid) <= BSUID_TAIL else f"…{tail}", phone)
    return ClientLabel(phone or "?", None)


def _username(username: str | None) -> str | None:
    cleaned = _clean(username)
    if not cleaned:
        return None
    return cleaned if cleaned.startswith("@") else _clean(f"@{cleaned}")


def _clean(text: str | None) -> str | None:
    """The text without blanks around it, without control characters a peer may have put
    in to break a page's layout, and at most ``NAME_MAX`` long; None when nothing is left."""
    if text is None:
        return None
    kept = "".join(c for c in text if c.isprintable()).strip()[:NAME_MAX].rstrip()
    return kept or None
