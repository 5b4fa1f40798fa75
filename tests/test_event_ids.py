"""Ids that end up in addresses (an event's id, an appointment's, a free-form event's
``data.id``) are bounded and URL-safe (QA10 finding 9): anything else is a 422 naming the
field, and every accepted id reaches its pages and its voucher link unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from recado.rules.ids import ID_MAX, id_problem
from recado.rules.voucher import voucher_key, voucher_url
from tests.conftest import running_daemon
from tests.test_events import _appointment, _event, _post
from tests.webhook_helpers import query

SAFE = "ABCXYZabcxyz0189._~:@-"


@given(hs.text(max_size=260) | hs.text(alphabet=SAFE, max_size=260))
def test_an_accepted_id_is_short_and_needs_no_escaping_in_a_path(value: str) -> None:
    if id_problem(value) is not None:
        return
    assert 0 < len(value) <= ID_MAX
    assert quote(value, safe=":@~") == value
    parts = urlsplit(f"https://studio.example/voucher/{value}?sig=x")
    assert (parts.path, parts.query) == (f"/voucher/{value}", "sig=x")
    assert value not in (".", "..")


@given(hs.text(alphabet=SAFE, min_size=1, max_size=ID_MAX))
def test_every_id_of_safe_characters_is_accepted(value: str) -> None:
    assert (id_problem(value) is None) == (value.strip(".") != "")


BAD_IDS = ["a/b?c#d", "a b", "agendamento-ção", "x" * 100_000, "..", "", "a\nb", "a%2Fb", "%"]


def _bodies(bad: str) -> list[tuple[dict[str, Any], str]]:
    return [
        (_event(bad, "lead.created", id="1"), "id"),
        (_event("e", "lead.created", id=bad), "data.id"),
        (_event("e", "appointment.created", **_appointment(bad)), "data.appointment_id"),
        (_event("e", "appointment.rescheduled", **_appointment(bad)), "data.appointment_id"),
        (_event("e", "appointment.canceled", appointment_id=bad), "data.appointment_id"),
    ]


async def test_ids_outside_the_set_are_422_naming_the_field(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        for bad in BAD_IDS:
            for body, field in _bodies(bad):
                response = await _post(daemon, client, body)
                assert response.status_code == 422, (bad[:20], field, response.text)
                error = response.json()
                assert error["field"] == field
                # The answer (and the log) never carries the id itself.
                assert len(response.text) < 500
        assert query(daemon, "SELECT COUNT(*) AS n FROM events") == [{"n": 0}]


@pytest.mark.parametrize("apt", ["Ab9._~:@-x", "x" * ID_MAX, "2026:11:24@studio~1"])
async def test_an_accepted_appointment_id_reaches_its_pages(daemon_dir: Path, apt: str) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        response = await _post(
            daemon, client, _event("e1", "appointment.created", **_appointment(apt))
        )
        assert response.status_code in (200, 202), response.text
        op = daemon.listeners["operator"].url
        page = await client.get(f"{op}/appointments/{apt}.json")
        assert page.status_code == 200 and page.json()["id"] == apt
        public = daemon.listeners["public"].url
        voucher = await client.get(voucher_url(public, voucher_key(daemon.secret_key), apt))
        assert voucher.status_code == 200, voucher.text
