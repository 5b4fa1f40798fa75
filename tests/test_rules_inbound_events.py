"""The payload of WhatsApp's events for the studio's systems is bounded and plain, whatever
Meta puts in the message's object (rules/inbound_events.py)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from recado.rules import inbound_events as ie

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _data(mtype: str, content: Any) -> dict[str, Any]:
    return ie.received_data(
        wamid="w1",
        mtype=mtype,
        timestamp="2026-12-01T12:00:00.000Z",
        client=ie.Client(phone="+5511987654321"),
        text=None,
        payload=None,
        context_wamid=None,
        appointment_id=None,
        content=content,
    )


@given(st.sampled_from((*ie.MEDIA_TYPES, "location")), _json)
def test_media_and_location_keep_only_named_plain_fields(mtype: str, content: Any) -> None:
    data = _data(mtype, content)
    picked = data["media" if mtype != "location" else "location"]
    allowed = ie._MEDIA_KEYS if mtype != "location" else ie._LOCATION_KEYS
    assert set(picked) <= set(allowed)
    assert all(v is None or isinstance(v, str | int | float | bool) for v in picked.values())
    json.dumps(data)


@given(st.lists(_json, max_size=60) | _json)
def test_shared_contacts_are_capped(content: Any) -> None:
    contacts = _data("contacts", content)["contacts"]
    assert isinstance(contacts, list)
    assert len(contacts) <= ie.MAX_CONTACTS


def test_only_what_a_person_writes_or_shares_emits() -> None:
    for mtype in ("text", "button", "interactive", "image", "location", "contacts"):
        assert ie.emits_received(mtype)
    for mtype in ("reaction", "edit", "revoke", "system", "unsupported", "order", "request"):
        assert not ie.emits_received(mtype)
