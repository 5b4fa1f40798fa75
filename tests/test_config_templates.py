"""The configured templates' parameter format (named or positional) and named parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from recado.config import ConfigError, load_config

HEAD = '[whatsapp.templates.appointment_created]\nname = "aviso"\n'


def _load(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(HEAD + body)
    try:
        load_config(path, {})
    except ConfigError as exc:
        return exc.problems
    return []


def test_named_parameters_with_and_without_their_own_names(tmp_path: Path) -> None:
    assert _load(tmp_path, 'parameter_format = "named"\n') == []
    ok = 'parameter_format = "named"\nbody_params = ["client_name", "date"]\n'
    assert _load(tmp_path, ok + 'param_names = ["nome", "data_1"]\n') == []
    path = tmp_path / "config.toml"
    cfg = load_config(path, {})
    template = cfg.whatsapp.templates["appointment_created"]
    assert template.named and template.sent_names == ["nome", "data_1"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            'parameter_format = "NAMED"\n',
            'whatsapp.templates.appointment_created.parameter_format: "NAMED" is not known '
            "(expected one of: positional, named)",
        ),
        (
            'param_names = ["nome"]\n',
            "whatsapp.templates.appointment_created.param_names: only with parameter_format = "
            '"named"',
        ),
        (
            'parameter_format = "named"\nbody_params = ["client_name"]\nparam_names = ["a", "b"]\n',
            "whatsapp.templates.appointment_created.param_names: 2 names for 1 body_params "
            "(expected one name per value)",
        ),
        (
            'parameter_format = "named"\nbody_params = ["client_name"]\nparam_names = ["Nome"]\n',
            'whatsapp.templates.appointment_created.param_names[0]: "Nome" is not a valid '
            "parameter name (expected lowercase letters, digits and underscores)",
        ),
        (
            'parameter_format = "named"\nbody_params = ["client_name", "date"]\n'
            'param_names = ["x", "x"]\n',
            "whatsapp.templates.appointment_created.param_names: a name is used twice "
            "(expected unique names)",
        ),
    ],
)
def test_each_wrong_named_setting_is_named_by_its_key(
    tmp_path: Path, body: str, problem: str
) -> None:
    assert _load(tmp_path, body) == [problem]
