"""rules/pricing.read_pricing: a status's pricing read one strict way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.rules.pricing import Pricing, read_pricing


def test_metas_pricing_object() -> None:
    raw = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    assert read_pricing(json.dumps(raw)) == Pricing(True, "utility", "regular", "PMP")


@pytest.mark.parametrize(
    "raw",
    [None, "", "null", "[]", '"utility"', "{not json", "{}", '{"billable": "true"}'],
)
def test_nothing_usable_is_no_pricing(raw: str | None) -> None:
    assert read_pricing(raw) is None


@given(
    hs.dictionaries(
        hs.sampled_from(["billable", "category", "type", "pricing_model", "other"]),
        hs.none() | hs.booleans() | hs.integers() | hs.text(max_size=60) | hs.lists(hs.none()),
    )
)
def test_only_well_typed_fields_are_kept(raw: dict[str, Any]) -> None:
    got = read_pricing(json.dumps(raw))
    if got is None:
        return
    billable = raw.get("billable")
    assert got.billable == (billable if isinstance(billable, bool) else None)
    for field, key in (("category", "category"), ("type", "type"), ("model", "pricing_model")):
        value = getattr(got, field)
        assert value is None or (value == raw[key] and isinstance(raw[key], str))
        assert value is None or len(value) <= 40
