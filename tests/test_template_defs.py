"""whatsapp/template_defs: Meta's listing items read into definitions, odd ones bounded."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from recado.whatsapp.template_defs import COMPONENTS_MAX, MetaTemplate, parse_template


def _item(**kw: Any) -> dict[str, Any]:
    return {
        "id": "1689556908129832",
        "name": "aviso_de_agendamento",
        "language": "pt_BR",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "quality_score": {"score": "GREEN"},
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Agendamento"},
            {"type": "BODY", "text": "Olá {{1}}, {{2}} em {{3}} às {{4}} ({{1}})."},
            {"type": "FOOTER", "text": "Estúdio"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Confirmar"},
                    {"type": "URL", "text": "Site", "url": "https://x.test/{{1}}"},
                ],
            },
        ],
        **kw,
    }


def test_a_positional_template() -> None:
    t = parse_template(_item())
    assert isinstance(t, MetaTemplate)
    assert t.body_params == ("1", "2", "3", "4")  # {{1}} twice is one parameter
    assert (t.header_format, t.header_params) == ("TEXT", 0)
    assert t.buttons == ("QUICK_REPLY", "URL")
    assert (t.quality, t.category, t.template_id) == ("GREEN", "UTILITY", "1689556908129832")
    d = t.definition()
    assert d.named is False and d.structure_known


def test_a_named_template_and_a_format_meta_left_out() -> None:
    body = {"type": "BODY", "text": "Olá {{client_name}}, seu {{ service }} é {{date}}."}
    t = parse_template(_item(parameter_format="NAMED", components=[body]))
    assert isinstance(t, MetaTemplate)
    assert t.body_params == ("client_name", "service", "date") and t.parameter_format == "NAMED"
    inferred = parse_template(_item(components=[body], id=7))
    assert isinstance(inferred, MetaTemplate)
    older = _item(components=[body])
    del older["parameter_format"]
    guessed = parse_template(older)
    assert isinstance(guessed, MetaTemplate) and guessed.parameter_format == "NAMED"
    assert inferred.template_id == "7"


def test_items_without_name_language_or_status_are_set_aside() -> None:
    for bad in (
        None,
        [],
        "x",
        _item(name=""),
        _item(language=None),
        _item(status=5),
        _item(name="n" * 600),
    ):
        assert isinstance(parse_template(bad), str)


def test_components_that_cannot_be_read_leave_the_structure_unknown() -> None:
    for components in (
        None,
        "BODY",
        [1, 2],
        [{"type": "BUTTONS", "buttons": "x"}],
        [{"type": "BODY", "text": "x" * (COMPONENTS_MAX + 1)}],
    ):
        t = parse_template(_item(components=components))
        assert isinstance(t, MetaTemplate), components
        assert t.body_params is None and t.parameter_format is None
        assert not t.definition().structure_known


@given(
    st.recursive(
        st.none() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_any_json_either_parses_or_is_set_aside(value: Any) -> None:
    for item in (value, _item(components=value), _item(quality_score=value, category=value)):
        result = parse_template(item)
        assert isinstance(result, MetaTemplate | str)
