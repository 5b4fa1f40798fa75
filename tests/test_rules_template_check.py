"""rules/template_check: a configured template against Meta's definition, without a server.

Each class of difference is tested over generated templates: a configuration that matches
its definition has no problem, and changing one thing about it gives exactly the problem that
names that thing, with both sides' numbers (or names) in the sentence."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from recado.rules.message_reasons import reason_text
from recado.rules.template_check import (
    CODES,
    STATUS_WORDS,
    Definition,
    Wanted,
    check,
    problems,
)

NAMES = st.lists(st.text(alphabet="abcdefghij_", min_size=1, max_size=10), max_size=8, unique=True)
OTHER_BUTTONS = st.lists(st.sampled_from(["URL", "PHONE_NUMBER", "COPY_CODE"]), max_size=2)


@st.composite
def matching(draw: st.DrawFn) -> tuple[Wanted, Definition]:
    """A configured template and Meta's definition of it that agree in everything."""
    named = draw(st.booleans())
    names = draw(NAMES)
    params = tuple(names) if named else tuple(str(i) for i in range(1, len(names) + 1))
    quick = draw(st.integers(0, 3))
    buttons = ("QUICK_REPLY",) * quick + tuple(draw(OTHER_BUTTONS))
    language = draw(st.sampled_from(["pt_BR", "en_US", "es"]))
    definition = Definition(
        name="aviso",
        language=language,
        status="APPROVED",
        named=named,
        body_params=params,
        header_format=draw(st.sampled_from([None, "TEXT"])),
        header_params=0,
        buttons=buttons,
    )
    sent = tuple(draw(st.permutations(names))) if named else tuple(names)
    return Wanted("appointment_created", "aviso", language, named, sent, quick), definition


def codes(wanted: Wanted, known: list[Definition] | None) -> list[str]:
    return [p.code for p in problems(wanted, known)]


@given(matching())
def test_a_template_as_meta_defines_it_has_no_problem(case: tuple[Wanted, Definition]) -> None:
    wanted, definition = case
    assert problems(wanted, [definition]) == []
    assert check(wanted, [definition]) is None


@given(matching(), st.integers(1, 4), st.booleans())
def test_another_number_of_body_parameters_names_both_counts(
    case: tuple[Wanted, Definition], extra: int, more: bool
) -> None:
    wanted, definition = case
    assert definition.body_params is not None
    meta = definition.body_params
    if more or not meta:
        sent = (*wanted.params, *(f"x{i}" for i in range(extra)))
    else:
        sent = wanted.params[: max(0, len(meta) - extra)]
    changed = replace(wanted, params=sent)
    found = check(changed, [definition])
    assert found is not None and found.code == "template_body_params"
    assert found.params["meta"] == len(meta) and found.params["configured"] == len(sent)
    label = f"aviso ({wanted.language})"
    unit = "parâmetro" if len(meta) == 1 else "parâmetros"
    assert found.pt_br == (
        f"O modelo {label} tem {len(meta)} {unit} no corpo na Meta, mas a configuração "
        f"envia {len(sent)}."
    )
    assert f"{len(meta)} body parameter" in found.en and f"sends {len(sent)}." in found.en
    if not wanted.named:
        assert codes(changed, [definition]) == ["template_body_params"]


@given(matching(), st.text(alphabet="klmnop", min_size=1, max_size=6))
def test_a_named_template_with_another_parameter_name(
    case: tuple[Wanted, Definition], new_name: str
) -> None:
    wanted, definition = case
    named_def = replace(definition, named=True, body_params=wanted.params or ("nome",))
    sent = (*named_def.body_params[1:], new_name)  # one name replaced: same count
    changed = replace(wanted, named=True, params=sent)
    assert codes(changed, [named_def]) == ["template_param_names"]
    found = check(changed, [named_def])
    assert found is not None
    assert found.params["missing"] == [named_def.body_params[0]]
    assert found.params["extra"] == [new_name]
    assert f"{{{{{named_def.body_params[0]}}}}}" in found.pt_br and new_name in found.pt_br


@given(matching())
def test_named_against_positional_is_a_format_problem(case: tuple[Wanted, Definition]) -> None:
    wanted, definition = case
    flipped = replace(wanted, named=not wanted.named)
    assert codes(flipped, [definition])[0] == "template_parameter_format"


@given(matching(), st.sampled_from(sorted(STATUS_WORDS)))
def test_a_template_that_is_not_approved_cannot_be_sent(
    case: tuple[Wanted, Definition], status: str
) -> None:
    wanted, definition = case
    found = check(wanted, [replace(definition, status=status)])
    assert found is not None and found.code == "template_not_approved"
    assert STATUS_WORDS[status][0] in found.pt_br and STATUS_WORDS[status][1] in found.en
    assert found.params["status"] == status


@given(matching(), st.integers(-3, 3).filter(lambda n: n != 0))
def test_another_number_of_quick_replies(case: tuple[Wanted, Definition], delta: int) -> None:
    wanted, definition = case
    changed = replace(wanted, buttons=max(0, wanted.buttons + delta))
    if changed.buttons == wanted.buttons:
        return
    found = problems(changed, [definition])
    assert found[0].code == "template_buttons"
    assert (found[0].params["meta"], found[0].params["configured"]) == (
        wanted.buttons,
        changed.buttons,
    )


def test_a_button_of_another_kind_where_the_send_puts_a_quick_reply() -> None:
    wanted = Wanted("k", "aviso", "pt_BR", False, ("a",), 1)
    definition = Definition("aviso", "pt_BR", "APPROVED", False, ("1",), None, 0, ("URL",))
    assert codes(wanted, [definition]) == ["template_buttons", "template_button_kind"]
    kind = problems(wanted, [definition])[1]
    assert kind.pt_br == (
        "O botão 1 do modelo aviso (pt_BR) é do tipo link na Meta, mas a configuração envia "
        "uma resposta rápida nele."
    )


def test_a_header_that_needs_a_parameter() -> None:
    wanted = Wanted("k", "aviso", "pt_BR", False, ("a",), 0)
    base = Definition("aviso", "pt_BR", "APPROVED", False, ("1",), None, 0, ())
    image = problems(wanted, [replace(base, header_format="IMAGE")])
    assert [p.code for p in image] == ["template_header"]
    assert "cabeçalho de imagem" in image[0].pt_br
    text = problems(wanted, [replace(base, header_format="TEXT", header_params=1)])
    assert "1 parâmetro no cabeçalho" in text[0].pt_br
    assert problems(wanted, [replace(base, header_format="TEXT")]) == []


def test_missing_and_other_language() -> None:
    wanted = Wanted("k", "aviso", "pt_BR", False, ("a",), 0)
    other = Definition("outro", "pt_BR", "APPROVED", False, ("1",), None, 0, ())
    assert codes(wanted, [other]) == ["template_missing"]
    assert codes(wanted, []) == ["template_missing"]
    spanish = replace(other, name="aviso", language="es")
    english = replace(other, name="aviso", language="en_US")
    found = check(wanted, [spanish, english])
    assert found is not None and found.code == "template_language"
    assert found.pt_br == "O modelo aviso não existe em pt_BR na Meta (idiomas na Meta: en_US, es)."


def test_nothing_known_means_no_check_and_unknown_structure_checks_status_only() -> None:
    wanted = Wanted("k", "aviso", "pt_BR", False, ("a", "b"), 3)
    assert problems(wanted, None) == []
    only_status = Definition("aviso", "pt_BR", "APPROVED")
    assert problems(wanted, [only_status]) == []
    assert codes(wanted, [replace(only_status, status="PAUSED")]) == ["template_not_approved"]


def test_the_first_problem_is_the_one_a_send_names() -> None:
    wanted = Wanted("k", "aviso", "pt_BR", False, ("a", "b"), 2)
    definition = Definition("aviso", "pt_BR", "PAUSED", False, ("1",), None, 0, ("QUICK_REPLY",))
    assert codes(wanted, [definition]) == [
        "template_not_approved",
        "template_body_params",
        "template_buttons",
    ]
    first = check(wanted, [definition])
    assert first is not None and first.code == "template_not_approved"
    assert first.text("en").startswith("The template aviso (pt_BR) is paused")


PARAM_KEYS = ("template", "language", "status", "meta", "configured", "missing", "extra")
PARAM_KEYS += ("languages", "header", "index")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=8,
)


@given(
    st.sampled_from(CODES),
    st.dictionaries(
        st.sampled_from(PARAM_KEYS),
        JSON,
    ),
)
def test_a_stored_reason_reads_as_a_sentence_whatever_its_parameters(
    code: str, params: dict[str, object]
) -> None:
    """A skipped message's reason is read again from its code and parameters on every page
    (rules/message_reasons): parameters a stored reason lacks or garbled never raise."""
    stored = {"code": code, **params}
    for locale in ("pt-BR", "en"):
        text = reason_text(stored, locale, ZoneInfo("America/Sao_Paulo"))
        assert isinstance(text, str) and text


@given(matching(), st.sampled_from(sorted(STATUS_WORDS)))
def test_the_stored_reason_reads_as_the_problem_said(
    case: tuple[Wanted, Definition], status: str
) -> None:
    wanted, definition = case
    found = check(wanted, [replace(definition, status=status)])
    assert found is not None
    stored = {"code": found.code, **found.params}
    assert reason_text(stored, "pt-BR", ZoneInfo("UTC")) == found.pt_br
    assert reason_text(stored, "en", ZoneInfo("UTC")) == found.en
