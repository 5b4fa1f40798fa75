from __future__ import annotations

import pytest

from recado.rules.graph_errors import (
    AUTH,
    CODES,
    OPERATOR,
    PERMANENT,
    TRANSIENT,
    WINDOW_CLOSED,
    classify,
    classify_transport,
)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 131047, WINDOW_CLOSED),
        (400, 470, WINDOW_CLOSED),
        (400, 132001, PERMANENT),
        (400, 132000, PERMANENT),
        (400, 131026, PERMANENT),
        (401, 190, AUTH),
        (401, 0, AUTH),
        (400, 130429, TRANSIENT),
        (400, 131056, TRANSIENT),
        (500, 131000, TRANSIENT),
        (403, 131042, OPERATOR),
        (403, 250, OPERATOR),
        (400, 4, TRANSIENT),
    ],
)
def test_known_codes(status: int, code: int, kind: str) -> None:
    assert classify(status, code).kind == kind


def test_code_wins_over_http_status() -> None:
    # A 500 carrying a window-closed code is still the window, not a retry.
    assert classify(500, 131047).kind == WINDOW_CLOSED
    assert classify(200, 131026).kind == PERMANENT


def test_unknown_codes_fall_back_on_http_status() -> None:
    assert classify(503, None).kind == TRANSIENT
    assert classify(429, None).backoff == "short"
    assert classify(502, 999999).kind == TRANSIENT
    unknown = classify(400, 999999)
    assert (unknown.kind, unknown.reason_code) == (PERMANENT, "graph_999999")
    assert unknown.pt_br == "A Meta recusou a mensagem (HTTP 400, código 999999)."


def test_is_transient_overrides_only_retry_decisions() -> None:
    assert classify(400, 131000, is_transient=False).kind == PERMANENT
    assert classify(400, 132000, is_transient=True).kind == TRANSIENT
    assert classify(401, 190, is_transient=True).kind == AUTH
    assert classify(400, 131047, is_transient=True).kind == WINDOW_CLOSED


def test_auth_reason_names_the_subcode() -> None:
    result = classify(401, 190, subcode=463)
    assert result.alert
    assert result.pt_br == (
        "O token de acesso expirou ou é inválido; reconecte o WhatsApp. Motivo: o token expirou."
    )
    assert result.en.endswith("Reason: the token expired.")


def test_backoff_hints() -> None:
    assert classify(400, 131056).backoff == "pair"
    assert classify(400, 80007).backoff == "long"
    assert classify(400, 131048).alert


def test_every_code_has_both_languages() -> None:
    for code, info in CODES.items():
        assert info.pt_br and info.en, code
        assert info.pt_br != info.en, code


def test_transport_failures() -> None:
    assert classify_transport("connect_error").kind == TRANSIENT
    with pytest.raises(ValueError, match="uncertain"):
        classify_transport("read_timeout")
