"""Client phone numbers → E.164 (``+<country><number>``), with Brazil as the default country.

Accepted: ``+55 (11) 98765-4321``, ``11987654321``, ``011 98765-4321`` (trunk 0),
``5511987654321``, landlines ``(11) 3456-7890``, and any country when written with ``+``.
An 8-digit mobile after a DDD is kept as given: the 9th digit is not invented, because
WhatsApp normalizes Brazilian numbers itself and reports the real ``wa_id`` back in the send
answer (``contacts[0].wa_id``), which is what the ledger uses.
"""

from __future__ import annotations

import re

# Brazilian area codes (DDD) in use.
BR_DDD = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        21,
        22,
        24,
        27,
        28,
        31,
        32,
        33,
        34,
        35,
        37,
        38,
        41,
        42,
        43,
        44,
        45,
        46,
        47,
        48,
        49,
        51,
        53,
        54,
        55,
        61,
        62,
        63,
        64,
        65,
        66,
        67,
        68,
        69,
        71,
        73,
        74,
        75,
        77,
        79,
        81,
        82,
        83,
        84,
        85,
        86,
        87,
        88,
        89,
        91,
        92,
        93,
        94,
        95,
        96,
        97,
        98,
        99,
    }
)
# ASCII digits only: ``\d`` also matches "١" or "５", which would reach Meta and the ledger.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_ALLOWED = re.compile(r"[0-9\s()+.\-]+")


class PhoneError(ValueError):
    def __init__(self, pt_br: str, en: str) -> None:
        self.pt_br = pt_br
        self.en = en
        super().__init__(en)


def is_e164(text: str) -> bool:
    return bool(_E164.fullmatch(text))


def wa_id_of(e164: str) -> str:
    return e164.lstrip("+")


def normalize_phone(raw: str, default_country: str = "55") -> str:
    text = raw.strip()
    if not text or not _ALLOWED.fullmatch(text):
        raise PhoneError(
            f'"{raw}" não é um telefone (use só dígitos, espaços, ( ) - e +)',
            f'"{raw}" is not a phone number (digits, spaces, ( ) - and + only)',
        )
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("+"):
        if digits.startswith("55"):
            return "+55" + _brazilian(digits[2:], raw)
        candidate = "+" + digits
        if not is_e164(candidate):
            raise PhoneError(
                f'"{raw}" não tem o tamanho de um número internacional (8 a 15 dígitos)',
                f'"{raw}" is not the length of an international number (8 to 15 digits)',
            )
        return candidate
    if default_country != "55":
        return "+" + default_country + digits.lstrip("0")
    if digits.startswith("0"):
        digits = digits.lstrip("0")  # trunk prefix, as in 011 98765-4321
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    return "+55" + _brazilian(digits, raw)


def _brazilian(national: str, raw: str) -> str:
    if len(national) not in (10, 11):
        raise PhoneError(
            f'"{raw}" deve ter DDD e 8 ou 9 dígitos (ex.: 11 98765-4321)',
            f'"{raw}" must have an area code and 8 or 9 digits (e.g. 11 98765-4321)',
        )
    ddd = int(national[:2])
    if ddd not in BR_DDD:
        raise PhoneError(
            f'"{raw}": DDD {ddd} não existe', f'"{raw}": area code {ddd} does not exist'
        )
    if len(national) == 11 and national[2] != "9":
        raise PhoneError(
            f'"{raw}": celular com 9 dígitos deve começar com 9',
            f'"{raw}": a 9-digit mobile number must start with 9',
        )
    return national
