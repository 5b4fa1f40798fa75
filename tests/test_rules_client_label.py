"""How pages name a client (rules/client_label.py): profile name, else username, else the
end of the BSUID, the phone beside it when known; whatever text a peer sends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.client_label import BSUID_TAIL, NAME_MAX, ClientLabel, client_label

BSUID = "BR.13491208655302741918"


def test_the_first_known_of_name_username_bsuid_phone_names_the_client() -> None:
    full = {"name": "Ana", "username": "ana.s", "bsuid": BSUID, "phone": "+5511987654321"}
    national = "(11) 98765-4321"
    assert client_label(**full) == ClientLabel("Ana", national)
    assert client_label(**{**full, "name": None}) == ClientLabel("@ana.s", national)
    assert client_label(**{**full, "name": " ", "username": None}) == ClientLabel(
        "…741918", national
    )
    assert client_label(name=None, phone="+5511987654321") == ClientLabel(national, None)
    assert client_label(name=None, bsuid=BSUID) == ClientLabel("…741918", None)
    assert client_label(name=None, username="@bia") == ClientLabel("@bia", None)
    assert client_label(name=None) == ClientLabel("?", None)


def test_a_phone_reads_in_national_format_at_home_and_international_abroad() -> None:
    assert client_label(name="Ana", phone="+5511987654321").phone == "(11) 98765-4321"
    assert client_label(name="Ana", phone="+4915112345678").phone == "+49 1511 2345678"
    abroad = client_label(name="Ana", phone="+5511987654321", region="PT")
    assert abroad.phone == "+55 11 98765-4321"
    # What is not a number in E.164 is shown as it came (never guessed as a phone).
    assert client_label(name="Ana", phone="5511987654321").phone == "5511987654321"


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
