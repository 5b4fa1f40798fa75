"""Redaction hides a secret in any letter case and in pieces, in what is kept for people,
and never alters the data recado forwards (QA10 finding 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from recado import redaction
from recado.redaction import FRAGMENT, REDACTED
from recado.testing.service_double import ServiceDouble
from tests.hub_helpers import hub_stack
from tests.test_sync_set_aside import SYNC, _run

TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"


def _pieces(secret: str) -> set[str]:
    low = secret.lower()
    return {low[i : i + FRAGMENT] for i in range(len(low) - FRAGMENT + 1)} or {low}


def _survives(secret: str, text: str) -> bool:
    shown = text.replace(REDACTED, "\0").lower()
    return any(piece in shown for piece in _pieces(secret))


@pytest.fixture(autouse=True)
def _no_secrets() -> Iterator[None]:
    yield
    redaction.set_secrets([])


@given(
    secret=st.text(TOKEN_CHARS, min_size=FRAGMENT, max_size=60),
    case=st.sampled_from([str, str.lower, str.upper, str.swapcase]),
    cut=st.integers(0, 60),
    sep=st.sampled_from(["", "...", " / ", '", "', "\n"]),
    around=st.text(max_size=20),
)
def test_no_piece_of_a_secret_survives_in_any_case(
    secret: str, case: object, cut: int, sep: str, around: str
) -> None:
    redaction.set_secrets([secret])
    shaped = case(secret)  # type: ignore[operator]
    text = f"{around}{shaped[:cut]}{sep}{shaped[cut:]}{around}"
    assert not _survives(secret, redaction.redact(text)), text
    hidden = redaction.redact_bytes(text.encode()).decode()
    assert not _survives(secret, hidden), text


@given(secret=st.text(TOKEN_CHARS, min_size=FRAGMENT, max_size=40), text=st.text(max_size=80))
def test_text_without_a_piece_of_a_secret_is_left_alone(secret: str, text: str) -> None:
    assume(not _survives(secret, text) and redaction.redact(text) == text)
    redaction.set_secrets([secret])
    assert redaction.redact(text) == text


async def test_forwarded_sync_data_keeps_a_secret_and_pages_hide_it(daemon_dir: Path) -> None:
    """The source's own data holds the crm credential ("secret-crm", its token file): the
    target gets the items as sent, the source its cursor back as given, and /sync shows
    neither."""
    cred = "secret-crm"
    crm = ServiceDouble("crm")
    crm.pages = {
        "": {"items": [{"id": "k1", "note": f"key {cred.upper()}"}], "next_cursor": f"c-{cred}"},
        f"c-{cred}": {"items": [{"id": "k2", "note": cred}], "next_cursor": None},
    }
    ops = ServiceDouble("ops")
    async with hub_stack(daemon_dir, extra=SYNC, doubles={"crm": crm, "ops": ops}) as hub:
        run = await _run(hub, "done")
        assert run["cursor_after"] == f"c-{cred}"  # stored as given: the next run sends it
        assert [r.query.get("since", "") for r in crm.received("GET")] == ["", f"c-{cred}"]
        assert [r.body for r in ops.received("POST")] == [
            {"id": "k1", "note": f"key {cred.upper()}"},
            {"id": "k2", "note": cred},
        ]
        for path in ("/sync", "/sync.json"):
            page = (await hub.client.get(f"{hub.operator}{path}")).text
            assert "c-[redacted]" in page
            assert cred not in page.lower(), path
