"""What the signup takes from Meta's answers: ids that go into request paths are ASCII digits
only, and Meta's words are bounded, whatever a peer answers (rules/signup)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as hs

from recado.rules import signup as rs

ANY_JSON = hs.recursive(
    hs.none() | hs.booleans() | hs.integers() | hs.floats() | hs.text(max_size=40),
    lambda inner: hs.lists(inner, max_size=4) | hs.dictionaries(hs.text(max_size=8), inner),
    max_leaves=12,
)


def _is_id(value: str) -> bool:
    return 1 <= len(value) <= 32 and all("0" <= ch <= "9" for ch in value)


@given(hs.lists(ANY_JSON | hs.text(alphabet="0123456789٠١٢３/.?", max_size=40), max_size=6))
def test_granted_targets_are_only_ascii_digit_ids(targets: list[Any]) -> None:
    granted = rs.granted_wabas({"granular_scopes": [{"scope": "any", "target_ids": targets}]})
    assert all(_is_id(t) for t in granted)
    assert len(granted) == len(set(granted))
    expected = {str(t) for t in targets if not isinstance(t, bool) and isinstance(t, str | int)}
    assert set(granted) == {t for t in expected if _is_id(t)}


@given(ANY_JSON)
def test_any_debug_token_answer_is_read_without_raising(data: Any) -> None:
    granted = rs.granted_wabas(data if isinstance(data, dict) else {"granular_scopes": data})
    assert all(_is_id(t) for t in granted)


@given(
    hs.lists(
        hs.dictionaries(
            hs.sampled_from(
                ["id", "display_phone_number", "verified_name", "quality_rating", "is_on_biz_app"]
            ),
            ANY_JSON,
        )
        | ANY_JSON,
        max_size=5,
    )
)
def test_listed_numbers_have_ids_and_bounded_words(items: list[Any]) -> None:
    for number in rs.parse_numbers({"data": items}):
        assert _is_id(number.id)
        assert len(number.display_phone_number) <= rs.TEXT_MAX
        assert len(number.verified_name) <= rs.TEXT_MAX


def test_a_number_with_a_path_in_its_id_or_a_huge_name_is_not_taken_as_is() -> None:
    numbers = rs.parse_numbers(
        {
            "data": [
                {"id": "../../me/accounts", "display_phone_number": "+55"},
                {"id": "١٠٦٥", "display_phone_number": "+55"},
                {"id": True},
                {"id": 106500000000001, "verified_name": "x" * 10_000},
            ]
        }
    )
    assert [(n.id, len(n.verified_name)) for n in numbers] == [("106500000000001", rs.TEXT_MAX)]
