"""What every fault test of the catalogue asserts (docs/operations.md): the fault's named
alert, open in the alerts table and among the dashboard's reasons, and later resolved."""

from __future__ import annotations

from typing import Any

from tests.incident_helpers import Stack

MINUTE = 60.0


def open_alerts(s: Stack, code: str) -> list[dict[str, Any]]:
    return s.rows("SELECT * FROM alerts WHERE code = ? AND resolved_at IS NULL ORDER BY id", code)


async def reasons(s: Stack) -> dict[str, str]:
    """The dashboard's reasons, code to text (pt-BR, the default locale)."""
    dashboard = await s.get("/dashboard.json")
    return {r["code"]: r["text"] for r in dashboard["reasons"]}


async def named_alert(s: Stack, code: str, within_s: float = MINUTE) -> tuple[dict[str, Any], str]:
    """Advance virtual time until the alert ``code`` is open and on the dashboard (at most
    ``within_s``); returns its row and the dashboard's text."""

    async def both() -> bool:
        return bool(open_alerts(s, code)) and code in await reasons(s)

    await s.until(both, within_s=within_s)
    return open_alerts(s, code)[0], (await reasons(s))[code]


async def resolved(s: Stack, code: str, within_s: float = 5 * MINUTE) -> None:
    """The fault cleared: the alert is resolved and off the dashboard, with no restart."""

    async def gone() -> bool:
        return not open_alerts(s, code) and code not in await reasons(s)

    await s.until(gone, within_s=within_s, step=10)
    assert s.rows("SELECT 1 FROM alerts WHERE code = ? AND resolved_at IS NOT NULL", code)
