"""The pages' stylesheet is served on both listeners, and a name we do not ship is a 404 in
the error shape, whatever its length or form (an overlong one once reached the disk and came
back as a 500)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import running_daemon

NOT_SHIPPED = [
    "9" * 600,  # longer than a file name may be
    "a/" * 300 + "x.css",  # longer than a path may be
    "../templates/base.html",
    "%2e%2e/static_files.py",
    "nope.css",
    "recado.css/",
    "vendor",
    "vendor/",
    "vendor/nope.js",
]


@pytest.mark.parametrize("listener", ["operator", "public"])
async def test_only_shipped_static_files_are_served(daemon_dir: Path, listener: str) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        base = f"{daemon.listeners[listener].url}/static"
        css = await client.get(f"{base}/recado.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert "@media (max-width: 48rem)" in css.text
        for name in NOT_SHIPPED:
            answer = await client.get(f"{base}/{name}", headers={"Accept": "application/json"})
            assert answer.status_code == 404, name
            assert answer.json()["error"] == "not_found", name


async def test_the_vendored_chart_library_is_served(daemon_dir: Path) -> None:
    """uPlot ships under static/vendor/ (docs/vendored.md) and the dashboard loads it from
    there, never from a CDN."""
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        base = daemon.listeners["operator"].url
        script = await client.get(f"{base}/static/vendor/uPlot.iife.min.js")
        assert script.status_code == 200 and "uPlot" in script.text
        assert "javascript" in script.headers["content-type"]
        css = await client.get(f"{base}/static/vendor/uPlot.min.css")
        assert css.status_code == 200 and ".uplot" in css.text
        page = (await client.get(f"{base}/dashboard")).text
        assert '<script src="/static/vendor/uPlot.iife.min.js" defer>' in page
        assert "https://" not in page.split("<main>")[0]
