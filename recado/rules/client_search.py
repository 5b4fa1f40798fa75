"""What a person typed to find a client by name, as the words of a full-text prefix search.

The index (migration 0014, FTS5 ``unicode61``) splits names into runs of letters and digits
and folds case and accents; the words here are split the same way, so "joão  da-silva" is
the three prefixes ``joão``, ``da``, ``silva`` and emoji or punctuation separate words
without being one.
"""

from __future__ import annotations

import unicodedata

# Longer than any name a receptionist types into the form: refused before any search.
NAME_INPUT_MAX = 80
# Words of a search at most (each is one more term for the index to intersect).
NAME_WORDS_MAX = 8


class NameInputError(ValueError):
    """``en`` and ``pt_br``: what was expected, in each language."""

    def __init__(self, en: str, pt_br: str) -> None:
        self.en = en
        self.pt_br = pt_br
        super().__init__(en)


def _control(ch: str) -> bool:
    # Cc: NUL, tabs, line breaks, escapes; Cs: a lone surrogate. Format characters (Cf)
    # stay: an emoji sequence is joined by U+200D.
    return unicodedata.category(ch) in ("Cc", "Cs")


def _letter_or_digit(ch: str) -> bool:
    return unicodedata.category(ch)[0] in ("L", "N") or unicodedata.category(ch) == "Mn"


def name_words(raw: str) -> list[str]:
    """The words of ``raw`` (already stripped, not empty), or NameInputError when it is too
    long, holds a control character, has no letter or digit, or too many words."""
    if len(raw) > NAME_INPUT_MAX:
        raise NameInputError(
            f"expected part of a client's name, up to {NAME_INPUT_MAX} characters",
            f"esperado parte do nome de um cliente, de até {NAME_INPUT_MAX} caracteres",
        )
    if any(_control(ch) for ch in raw):
        raise NameInputError(
            "expected a name without control characters",
            "esperado um nome sem caracteres de controle",
        )
    words, word = [], ""
    for ch in unicodedata.normalize("NFC", raw):
        if _letter_or_digit(ch):
            word += ch
        elif word:
            words.append(word)
            word = ""
    if word:
        words.append(word)
    if not words:
        raise NameInputError(
            "expected letters of a client's name",
            "esperado letras do nome de um cliente",
        )
    if len(words) > NAME_WORDS_MAX:
        raise NameInputError(
            f"expected a name of up to {NAME_WORDS_MAX} words",
            f"esperado um nome de até {NAME_WORDS_MAX} palavras",
        )
    return words


def match_expression(words: list[str]) -> str:
    """An FTS5 MATCH of names having a word that starts with each of ``words``, in any
    order. Each word is a quoted string (no FTS operator can be typed in)."""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)
