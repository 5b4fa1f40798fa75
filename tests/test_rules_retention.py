"""When retention runs, how far back each kind goes, what growth the dashboard shows, and
which ``[retention]`` values the config refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.config.checks import check
from recado.config.schema import Config, RetentionSection
from recado.rules.retention import cutoff, growth_per_day, next_run

SP = ZoneInfo("America/Sao_Paulo")


@given(
    now=st.datetimes(datetime(2001, 1, 1), datetime(2098, 1, 1), timezones=st.just(UTC)),
    hour=st.integers(0, 23),
    zone=st.sampled_from(["America/Sao_Paulo", "Europe/Berlin", "Asia/Kathmandu", "UTC"]),
)
def test_the_next_run_is_the_next_local_hour_within_a_day(
    now: datetime, hour: int, zone: str
) -> None:
    at = next_run(now, ZoneInfo(zone), hour)
    assert now < at <= now + timedelta(hours=25)
    local = at.astimezone(ZoneInfo(zone))
    # The hour itself, or the first instant after it on a day a DST change skips it.
    assert local.minute == 0 and local.hour in (hour, (hour + 1) % 24)


def test_the_next_run_in_the_studio_zone() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 09:00 in São Paulo
    assert next_run(now, SP, 4) == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert next_run(now, SP, 10) == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert next_run(datetime(2026, 12, 1, 7, 0, tzinfo=UTC), SP, 4) == datetime(
        2026, 12, 2, 7, 0, tzinfo=UTC
    )


def test_cutoff_and_growth() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert cutoff(now, 400) == now - timedelta(days=400)
    assert growth_per_day([]) is None
    assert growth_per_day([(now, 10)]) is None
    assert growth_per_day([(now, 10), (now + timedelta(hours=2), 99)]) is None
    day = timedelta(days=1)
    assert growth_per_day([(now + 2 * day, 300), (now, 100), (now + day, 150)]) == 100


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (RetentionSection(raw_bodies_days=0), "retention.raw_bodies_days: got 0"),
        (RetentionSection(messages_days=10**9), "retention.messages_days: got 1000000000"),
        (RetentionSection(raw_bodies_days=500), "retention.raw_bodies_days: got 500"),
        (RetentionSection(batch_rows=0), "retention.batch_rows: got 0"),
        (RetentionSection(hour=24), "retention.hour: got 24"),
        (RetentionSection(events_days=20), "retention.raw_bodies_days: got 30"),
    ],
)
def test_retention_values_out_of_range_are_named(section: RetentionSection, expected: str) -> None:
    problems = check(Config(retention=section))
    assert any(p.startswith(expected) for p in problems), problems


def test_the_default_retention_is_accepted() -> None:
    assert not [p for p in check(Config()) if p.startswith("retention.")]
