"""rules/phone: what libphonenumber says of a number, with the studio's country as the
region of one written without ``+``, and how an operator reads it."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.rules.phone import (
    PhoneError,
    display_phone,
    is_e164,
    known_region,
    normalize_phone,
    phone_of_wa_id,
    wa_id_of,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+55 (11) 98765-4321", "BR", "+5511987654321"),
        ("11987654321", "BR", "+5511987654321"),
        ("011 98765-4321", "BR", "+5511987654321"),  # trunk 0
        ("5511987654321", "BR", "+5511987654321"),  # the country code without +
        ("(11) 3456-7890", "BR", "+551134567890"),  # a landline
        ("+1 (415) 555-0100", "BR", "+14155550100"),  # a client abroad, written with +
        ("+49 151 12345678", "BR", "+4915112345678"),
        ("0151 12345678", "DE", "+4915112345678"),  # a studio in Germany
        ("(415) 555-0100", "US", "+14155550100"),
    ],
)
def test_normalizes_as_libphonenumber_says(raw: str, region: str, e164: str) -> None:
    assert normalize_phone(raw, region) == e164
    assert is_e164(e164)


@pytest.mark.parametrize(
    ("raw", "en"),
    [
        ("", '"" is not a phone number (digits, spaces, ( ) - and + only)'),
        (
            "11 9876-54321a",
            '"11 9876-54321a" is not a phone number (digits, spaces, ( ) - and + only)',
        ),
        ("١١٩٨٧٦٥٤٣٢١", '"١١٩٨٧٦٥٤٣٢١" is not a phone number (digits, spaces, ( ) - and + only)'),
        # An 8-digit mobile after an area code: no longer a number in Brazil.
        (
            "(21) 8765-4321",
            '"(21) 8765-4321" is not a valid number (check the area code and the digits; '
            "mobiles have 9 digits, e.g. (11) 98765-4321)",
        ),
        (
            "9876-5432",  # no area code
            '"9876-5432" is not a valid number (check the area code and the digits; '
            "mobiles have 9 digits, e.g. (11) 98765-4321)",
        ),
        (
            "(20) 98765-4321",  # no such area code
            '"(20) 98765-4321" is not a valid number (check the area code and the digits; '
            "mobiles have 9 digits, e.g. (11) 98765-4321)",
        ),
        (
            "+1 234",
            '"+1 234" is not the length of a phone number (check the area code and the digits)',
        ),
        ("123", '"123" is not the length of a phone number (check the area code and the digits)'),
    ],
)
def test_refuses_with_reasons(raw: str, en: str) -> None:
    with pytest.raises(PhoneError) as info:
        normalize_phone(raw)
    assert info.value.en == en
    assert info.value.pt_br.startswith(f'"{raw}" não ')


def test_the_hint_is_the_studio_country_s() -> None:
    with pytest.raises(PhoneError) as info:
        normalize_phone("0151 123", "DE")
    assert "9 digits" not in info.value.en


@pytest.mark.parametrize(
    ("e164", "region", "shown"),
    [
        ("+5511987654321", "BR", "(11) 98765-4321"),
        ("+551134567890", "BR", "(11) 3456-7890"),
        ("+4915112345678", "BR", "+49 1511 2345678"),  # another country: international
        ("+4915112345678", "DE", "01511 2345678"),
        ("+551187654321", "BR", "1187654321"),  # not valid: what libphonenumber makes of it
        ("BR.1502576394655843", "BR", "BR.1502576394655843"),  # not a phone: as it is
    ],
)
def test_display(e164: str, region: str, shown: str) -> None:
    assert display_phone(e164, region) == shown


@given(hs.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_display_never_raises_and_keeps_the_digits(e164: str) -> None:
    shown = display_phone(e164)
    assert "".join(c for c in shown if c.isdigit()).endswith(e164[-4:])


def test_wa_ids() -> None:
    assert wa_id_of("+5511987654321") == "5511987654321"
    assert phone_of_wa_id("5511987654321") == "+5511987654321"
    for not_one in ("BR.1502576394655843", "", "0551198765432", "12", "５５11987654321"):
        assert phone_of_wa_id(not_one) is None


def test_regions() -> None:
    assert known_region("BR") and known_region("DE")
    assert not known_region("br") and not known_region("XX") and not known_region("")


# What libphonenumber cannot parse at all: too long, no digits, a "+" with no country.
@given(
    hs.one_of(
        hs.text("0123456789", min_size=18, max_size=38),
        hs.text("+-(). ", min_size=1, max_size=10),
        hs.builds(lambda d: "+999 " + d, hs.text("0123456789", min_size=4, max_size=12)),
    )
)
def test_an_unparseable_number_is_refused_in_each_language_only(raw: str) -> None:
    # The refusal reached the pt-BR error page with libphonenumber's own English sentence.
    try:
        phonenumbers.parse(raw.strip(), "BR")
    except phonenumbers.NumberParseException as exc:
        library_words, code = str(exc), f"({exc.error_type})"
    else:
        return
    with pytest.raises(PhoneError) as info:
        normalize_phone(raw)
    assert library_words not in info.value.pt_br and library_words not in info.value.en
    assert code not in info.value.pt_br and code not in info.value.en
    assert info.value.pt_br.startswith(f'"{raw}" não ') and info.value.en.startswith(f'"{raw}" ')
