"""How pages name a client (rules/client_label.py): profile name, else username, else the
end of the BSUID, the phone beside it when known; whatever text a peer sends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.client_label import BSUID_TAIL, NAME_MAX, ClientLabel, client_label

BSUID = "BR.13491208655302741918"


def test_the_first_known_of_name_username_bsuid_phone_names_the_client() -> None:
    full = {"name": "Ana", "username": "ana.s", "bsuid": BSUID, "phone": "+5511987654321"}
    assert client_label(**full) == ClientLabel("Ana", "+5511987654321")
    assert client_label(**{**full, "name": None}) == ClientLabel("@ana.s", "+5511987654321")
    assert client_label(**{**full, "name": " ", "username": None}) == ClientLabel(
        "…741918", "+5511987654321"
    )
    assert client_label(name=None, phone="+5511987654321") == ClientLabel("+5511987654321", None)
    assert client_label(name=None, bsuid=BSUID) == ClientLabel("…741918", None)
    assert client_label(name=None, username="@bia") == ClientLabel("@bia", None)
    assert client_label(name=None) == ClientLabel("?", None)


@given(
    name=st.none() | st.text(),
    username=st.none() | st.text(),
    bsuid=st.none() | st.text(),
    phone=st.none() | st.text(),
)
def test_a_title_is_never_empty_bounded_and_free_of_control_characters(
    name: str | None, username: str | None, bsuid: str | None, phone: str | None
) -> None:
    label = client_label(name=name, username=username, bsuid=bsuid, phone=phone)
    shown = [label.title] if label.phone is None else [label.title, label.phone]
    for text in shown:
        assert text and text == text.strip()
        assert all(c.isprintable() for c in text)
        assert len(text) <= NAME_MAX
    if label.title.startswith("…"):
        assert len(label.title) == BSUID_TAIL + 1
