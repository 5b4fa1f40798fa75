"""Client phone numbers, parsed and formatted by libphonenumber (``phonenumbers``), the
studio's country (``studio.country``) as the region of a number written without ``+``.

What libphonenumber says is the answer: ``(11) 98765-4321`` and ``011 98765-4321`` in
Brazil are ``+5511987654321``; a landline ``(11) 3456-7890`` is ``+551134567890``; a
client abroad is written with ``+``; an 8-digit mobile after a Brazilian area code
(``(11) 8765-4321``, before the 9th digit) is not a valid number any more and is refused,
saying so. Operators see a number in the national format of the studio's country
(``(11) 98765-4321``), a number of another country in the international one.

Never for a business-scoped user id (``BR.1502…``): that is not a phone, and is kept
exactly as Meta sent it (``rules/identity.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

DEFAULT_REGION = "BR"
# ASCII digits only: ``\d`` also matches "١" or "５", which would reach Meta and the ledger.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_WA_ID = re.compile(r"[1-9][0-9]{7,14}")
_ALLOWED = re.compile(r"[0-9\s()+.\-]+")
# What a person of the studio's country most often gets wrong (libphonenumber decides; this
# only words the refusal).
_HINTS = {
    "BR": (
        "; celulares têm 9 dígitos, ex.: (11) 98765-4321",
        "; mobiles have 9 digits, e.g. (11) 98765-4321",
    )
}

# Why libphonenumber could not read a number at all, by its error type, in each language: its
# own sentence is English only and carries its code ("(4) The string supplied is too ...").
_UNPARSEABLE = {
    NumberParseException.INVALID_COUNTRY_CODE: (
        "o código do país depois do + não existe",
        "the country code after the + does not exist",
    ),
    NumberParseException.TOO_SHORT_AFTER_IDD: (
        "faltam dígitos depois do código internacional",
        "digits are missing after the international prefix",
    ),
    NumberParseException.TOO_SHORT_NSN: ("tem dígitos de menos", "it has too few digits"),
    NumberParseException.TOO_LONG: ("tem dígitos demais", "it has too many digits"),
}
_NOT_A_NUMBER = ("não há um número nele", "there is no number in it")


class PhoneError(ValueError):
    def __init__(self, pt_br: str, en: str) -> None:
        self.pt_br = pt_br
        self.en = en
        super().__init__(en)


def is_e164(text: str) -> bool:
    return bool(_E164.fullmatch(text))


def known_region(region: str) -> bool:
    """Whether ``region`` is a country libphonenumber has numbers for (ISO 3166 alpha-2)."""
    return region in phonenumbers.SUPPORTED_REGIONS


def wa_id_of(e164: str) -> str:
    """The digits Meta names a number by (``wa_id``)."""
    return e164.lstrip("+")


def phone_of_wa_id(wa_id: str) -> str | None:
    """The E.164 form of a ``wa_id`` (country code and number, digits only), or None when
    the text is not one. Meta's digits are taken as they are: they name the WhatsApp
    account, even when they differ from the number the studio has (a Brazilian account
    older than the 9th digit)."""
    return "+" + wa_id if _WA_ID.fullmatch(wa_id) else None


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 of a number as a person writes it; PhoneError (both languages) otherwise."""
    text = raw.strip()
    if not text or not _ALLOWED.fullmatch(text):
        raise PhoneError(
            f'"{raw}" não é um telefone (use só dígitos, espaços, ( ) - e +)',
            f'"{raw}" is not a phone number (digits, spaces, ( ) - and + only)',
        )
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        why_pt, why_en = _UNPARSEABLE.get(exc.error_type, _NOT_A_NUMBER)
        raise PhoneError(
            f'"{raw}" não é um telefone reconhecível ({why_pt})',
            f'"{raw}" is not a recognizable phone number ({why_en})',
        ) from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise PhoneError(
            f'"{raw}" não tem o tamanho de um telefone (confira o código de área e os dígitos)',
            f'"{raw}" is not the length of a phone number (check the area code and the digits)',
        )
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY or not phonenumbers.is_valid_number(
        number
    ):
        hint_pt, hint_en = _HINTS.get(region, ("", ""))
        raise PhoneError(
            f'"{raw}" não é um número válido (confira o código de área e os dígitos{hint_pt})',
            f'"{raw}" is not a valid number (check the area code and the digits{hint_en})',
        )
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if not is_e164(e164):
        raise PhoneError(f'"{raw}" não é um telefone', f'"{raw}" is not a phone number')
    return e164


# A list or an export shows the same few numbers on many rows, and libphonenumber takes
# ~0.1 ms a number: 10 000 rows of a CSV would hold the event loop for a second and more.
@lru_cache(maxsize=4096)
def display_phone(e164: str, region: str = DEFAULT_REGION) -> str:
    """How an operator reads a number: national format for the studio's country
    (``(11) 98765-4321``), international for others (``+49 1511 2345678``); the text
    itself when it is not E.164 (a business-scoped user id is never read as a number)."""
    if not is_e164(e164):
        return e164
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    same = phonenumbers.region_code_for_number(number) == region
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if same else PhoneNumberFormat.INTERNATIONAL
    )
