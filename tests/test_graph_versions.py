"""The Graph API version: its expiry table and the dashboard's warning (issue 12, item 6)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.clock import TrioClock
from recado.config.schema import WhatsAppSection
from recado.rules.graph_versions import (
    DEFAULT_VERSION,
    EXPIRIES,
    WARN_DAYS,
    expiry_warning,
    parse_version,
)
from recado.rules.health import HealthFacts, evaluate
from tests.conftest import running_daemon


def test_the_default_has_well_over_a_year_left_today() -> None:
    assert WhatsAppSection().api_version == DEFAULT_VERSION
    assert EXPIRIES[DEFAULT_VERSION] - date(2026, 12, 1) > timedelta(days=365)


@pytest.mark.parametrize(
    ("version", "today", "expected"),
    [
        ("v21.0", date(2026, 10, 23), (date(2027, 1, 21), 90)),  # the first day it warns
        ("v21.0", date(2026, 10, 22), None),  # 91 days left
        ("v21.0", date(2027, 1, 20), (date(2027, 1, 21), 1)),
        ("v21.0", date(2027, 1, 21), (date(2027, 1, 21), 0)),  # expired that day
        ("v20.0", date(2026, 12, 1), (date(2026, 9, 24), -68)),  # past: still warns
        ("v19.0", date(2026, 12, 1), (None, 0)),  # older than the table: expired
        ("v25.0", date(2026, 12, 1), None),
        ("v26.0", date(2028, 12, 1), None),  # no known date: nothing invented
        ("latest", date(2026, 12, 1), None),
    ],
)
def test_expiry_warning(version: str, today: date, expected: tuple | None) -> None:
    got = expiry_warning(version, today)
    assert (None if got is None else (got.expires_on, got.days_left)) == expected


@given(hs.sampled_from(sorted(EXPIRIES)), hs.integers(-2000, 2000))
def test_it_warns_exactly_within_the_window_or_after(version: str, offset: int) -> None:
    expires = EXPIRIES[version]
    got = expiry_warning(version, expires - timedelta(days=offset))
    assert (got is not None) == (offset <= WARN_DAYS)
    if got is not None:
        assert got.days_left == offset and got.expired == (offset <= 0)


@given(hs.text(max_size=12) | hs.from_regex(r"v[0-9]{1,4}\.[0-9]{1,4}\n?", fullmatch=True))
def test_parse_version_takes_only_metas_spelling(text: str) -> None:
    ascii_version = re.fullmatch(r"v[0-9]{1,3}\.[0-9]{1,3}", text, flags=re.ASCII)
    assert (parse_version(text) is not None) == (ascii_version is not None and "\n" not in text)


@pytest.mark.parametrize("text", ["v٢٥.0", "v25.0\n", " v25.0", "V25.0", "v25", "v1000.0"])
def test_near_misses_are_not_versions(text: str) -> None:
    assert parse_version(text) is None


def _reason(version: str, today: date, locale: str = "pt-BR") -> tuple[str, list[str]]:
    health = evaluate(
        HealthFacts(mode="enabled", app_secret_configured=True, api_version=version, today=today)
    )
    return health.status, [r.text(locale) for r in health.reasons]


def test_the_dashboard_rule_degrades_and_names_the_date() -> None:
    status, texts = _reason("v21.0", date(2026, 12, 1))
    assert status == "degraded"
    assert texts == [
        "A versão v21.0 da API da Meta expira em 21/01/2027 (51 dias); "
        "atualize whatsapp.api_version."
    ]
    assert _reason("v20.0", date(2026, 12, 1), "en")[1] == [
        "Meta's API version v20.0 expired on 24/09/2026 (whatsapp.api_version): move it forward."
    ]
    assert _reason("v19.0", date(2026, 12, 1))[1] == [
        "A versão v19.0 da API da Meta já expirou (whatsapp.api_version): use v25.0 ou mais nova."
    ]
    assert _reason("v25.0", date(2026, 12, 1)) == ("healthy", [])


async def test_the_running_dashboard_warns_from_the_configured_version(daemon_dir: Path) -> None:
    clock = TrioClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    toml = 'api_version = "v21.0"\n'
    async with running_daemon(daemon_dir, toml, clock=clock) as daemon, httpx.AsyncClient() as c:
        op = daemon.listeners["operator"].url
        dash = (await c.get(f"{op}/dashboard.json")).json()
        assert dash["status"] == "degraded"
        (reason,) = [r for r in dash["reasons"] if r["code"] == "api_version_expiring"]
        assert "21/01/2027" in reason["text"] and reason["severity"] == "degraded"
        page = (await c.get(f"{op}/dashboard")).text
        assert "expira em 21/01/2027" in page


async def test_a_version_meta_does_not_spell_is_a_config_problem(daemon_dir: Path) -> None:
    from recado.config import load_config
    from recado.config.loading import ConfigError
    from recado.testing.daemon_process import write_config

    path = write_config(daemon_dir, 'api_version = "21"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert 'whatsapp.api_version: "21" is not a Graph API version' in str(err.value)
