from __future__ import annotations

import pytest

from recado.rules.phone import PhoneError, is_e164, normalize_phone, wa_id_of


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+55 (11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("011 98765-4321", "+5511987654321"),
        ("5511987654321", "+5511987654321"),
        ("(11) 3456-7890", "+551134567890"),
        ("21 8765-4321", "+552187654321"),  # 8-digit mobile kept as given
        ("+1 (415) 555-0100", "+14155550100"),
        ("+49 151 12345678", "+4915112345678"),
    ],
)
def test_normalizes(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164
    assert is_e164(e164)


@pytest.mark.parametrize(
    ("raw", "en"),
    [
        ("", '"" is not a phone number (digits, spaces, ( ) - and + only)'),
        (
            "11 9876-54321a",
            '"11 9876-54321a" is not a phone number (digits, spaces, ( ) - and + only)',
        ),
        ("9876-5432", '"9876-5432" must have an area code and 8 or 9 digits (e.g. 11 98765-4321)'),
        ("(20) 98765-4321", '"(20) 98765-4321": area code 20 does not exist'),
        ("(11) 88765-4321", '"(11) 88765-4321": a 9-digit mobile number must start with 9'),
        ("+1 234", '"+1 234" is not the length of an international number (8 to 15 digits)'),
    ],
)
def test_refuses_with_reasons(raw: str, en: str) -> None:
    with pytest.raises(PhoneError) as info:
        normalize_phone(raw)
    assert info.value.en == en
    assert info.value.pt_br


def test_wa_id() -> None:
    assert wa_id_of("+5511987654321") == "5511987654321"
