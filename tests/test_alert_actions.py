"""An operator acknowledges an alert (it stays open, marked with who and when) or resolves
it (it closes, kept and listed as resolved), with the API key or from a page's form with
its token, each audited in the action's own transaction; a bad id is the JSON error shape;
the alerts page filters by state and severity; the dashboard carries its open alerts, each
linked to what it is about, beside the morning checklist, today's counters and 14 days."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from recado.http.csrf import COOKIE
from recado.runtime.context import Daemon
from recado.storage.alerts import add_alert
from tests.conftest import running_daemon
from tests.webhook_helpers import query


async def _raise(daemon: Daemon, severity: str, code: str, subject: str) -> int:
    await daemon.storage.write(
        add_alert, daemon.clock.now(), severity, code, subject, f"pt {code}", f"en {code}"
    )
    return int(query(daemon, "SELECT MAX(id) AS id FROM alerts")[0]["id"])


def _audit(daemon: Daemon, action: str) -> list[dict[str, Any]]:
    return query(daemon, "SELECT * FROM audit_log WHERE action = ? ORDER BY id", action)


async def test_acknowledge_keeps_it_open_and_resolve_closes_it(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        key = {"X-API-Key": daemon.api_key}
        first = await _raise(daemon, "warning", "breaker_open", "crm")
        await _raise(daemon, "critical", "incident_open", "4")

        acked = await client.post(f"{op}/alerts/{first}/acknowledge", headers=key)
        assert acked.status_code == 200, acked.text
        body = acked.json()
        assert body["outcome"] == "acknowledged"
        assert body["alert"]["acked_by"] == "127.0.0.1" and body["alert"]["acked_at"]
        assert body["alert"]["resolved_at"] is None
        assert body["alert"]["href"] == "/circuit-breakers#breaker-crm"
        [audit] = _audit(daemon, "alert.acknowledge")
        assert audit["target"] == str(first) and audit["actor"] == "operator"
        # Twice is once: nothing changes, nothing more is audited.
        again = await client.post(f"{op}/alerts/{first}/acknowledge", headers=key)
        assert again.json()["outcome"] == "acknowledged_before"
        assert len(_audit(daemon, "alert.acknowledge")) == 1

        still_open = (await client.get(f"{op}/alerts.json")).json()["items"]
        assert [a["id"] for a in still_open if a["acked_at"]] == [first]
        acknowledged = (await client.get(f"{op}/alerts.json?state=acknowledged")).json()
        assert [a["id"] for a in acknowledged["items"]] == [first]
        critical = (await client.get(f"{op}/alerts.json?severity=critical")).json()
        assert [a["code"] for a in critical["items"]] == ["incident_open"]

        resolved = await client.post(f"{op}/alerts/{first}/resolve", headers=key)
        assert resolved.status_code == 200 and resolved.json()["outcome"] == "resolved"
        assert resolved.json()["alert"]["resolved_by"] == "127.0.0.1"
        assert len(_audit(daemon, "alert.resolve")) == 1
        open_now = (await client.get(f"{op}/alerts.json")).json()["items"]
        assert first not in [a["id"] for a in open_now]
        kept = (await client.get(f"{op}/alerts.json?state=resolved")).json()["items"]
        assert [a["id"] for a in kept] == [first]
        page = (await client.get(f"{op}/alerts?state=resolved")).text
        assert "Resolvido em" in page and "pt breaker_open" in page

        for action in ("resolve", "acknowledge"):
            late = await client.post(f"{op}/alerts/{first}/{action}", headers=key)
            assert late.status_code == 409 and late.json()["error"] == "resolved", late.text
        assert len(_audit(daemon, "alert.resolve")) == 1


async def test_a_bad_alert_id_is_the_error_shape(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        headers = {"X-API-Key": daemon.api_key, "Accept": "application/json"}
        for path in ("999", "0", "abc", "-1", "1.5", "9" * 25, "%C2%B9"):
            for action in ("acknowledge", "resolve"):
                answer = await client.post(f"{op}/alerts/{path}/{action}", headers=headers)
                assert answer.status_code == 404, (path, answer.text)
                body = answer.json()
                assert body["error"] == "not_found" and body["detail"], body
        refused = await client.post(f"{op}/alerts/1/resolve")
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        for bad in ("state=closed", "severity=urgent"):
            answer = await client.get(f"{op}/alerts.json?{bad}")
            assert answer.status_code == 422 and answer.json()["error"] == "invalid_field"


async def test_from_the_dashboard_form_with_its_token(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        op = str(daemon.listeners["operator"].url)
        alert = await _raise(daemon, "warning", "backup_stale", "/backups")
        page = await client.get(f"{op}/dashboard")
        assert f'action="/alerts/{alert}/acknowledge"' in page.text
        token = page.cookies[COOKIE]
        form = {"csrf_token": token, "next": "/dashboard"}
        answer = await client.post(
            f"{op}/alerts/{alert}/acknowledge", data=form, headers={"Origin": op}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
        page = await client.get(f"{op}/dashboard")
        assert "Reconhecido em" in page.text and "por 127.0.0.1" in page.text
        assert f'action="/alerts/{alert}/acknowledge"' not in page.text
        # A form without the page's token changes nothing.
        client.cookies.clear()
        forged = await client.post(
            f"{op}/alerts/{alert}/resolve", data={"next": "/"}, headers={"Origin": op}
        )
        assert forged.status_code == 401
        assert query(daemon, "SELECT resolved_at FROM alerts")[0]["resolved_at"] is None


async def test_the_dashboard_json_carries_the_morning_check(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        await _raise(daemon, "critical", "incident_open", "3")
        dash = (await client.get(f"{op}/dashboard.json")).json()
        checks = {c["key"]: c for c in dash["checklist"]}
        assert list(checks) == ["healthy", "whatsapp", "critical_alerts", "dlq", "sync"]
        assert checks["critical_alerts"]["ok"] is False
        assert checks["critical_alerts"]["why"] == "1 aberto(s)"
        assert checks["dlq"]["ok"] is True
        assert dash["alerts"]["critical"] == 1
        assert dash["alerts"]["items"][0]["href"] == "/incidents/3"
        zone = ZoneInfo(daemon.config.daemon.timezone)
        today = daemon.clock.now().astimezone(zone).date().isoformat()
        assert dash["today"]["date"] == today and len(dash["chart"]) == 14
        assert dash["chart"][-1]["date"] == today
        assert dash["today"]["messages"]["success"] == {
            "ok": 0,
            "done": 0,
            "percent": None,
            "good": None,
        }
        for reason in dash["reasons"]:
            assert reason["href"].startswith("/") and reason["fix"], reason


async def test_the_morning_check_in_english(daemon_dir: Path) -> None:
    async with (
        running_daemon(daemon_dir, '[ui]\nlocale = "en"\n') as daemon,
        httpx.AsyncClient() as client,
    ):
        op = daemon.listeners["operator"].url
        alert = await _raise(daemon, "warning", "breaker_open", "crm")
        page = (await client.get(f"{op}/dashboard")).text
        for words in ("Daily check", "WhatsApp connected", "Last 14 days", "Acknowledge"):
            assert words in page, words
        assert "Conferência do dia" not in page and "Reconhecer" not in page
        await client.post(f"{op}/alerts/{alert}/acknowledge", headers={"X-API-Key": daemon.api_key})
        listed = (await client.get(f"{op}/alerts?state=acknowledged")).text
        assert "Acknowledged at" in listed and "acknowledged" in listed


async def test_the_alerts_page_goes_back_page_by_page(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        op = daemon.listeners["operator"].url
        for n in range(57):
            await _raise(daemon, "info", "jobs_planned_late", str(n))
        first = (await client.get(f"{op}/alerts.json?state=all")).json()
        assert len(first["items"]) == 50 and first["next_before"] is not None
        older = await client.get(f"{op}/alerts.json?state=all&before={first['next_before']}")
        rest = older.json()
        assert len(rest["items"]) == 7 and rest["next_before"] is None
        ids = [a["id"] for a in first["items"] + rest["items"]]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == 57
        page = (await client.get(f"{op}/alerts?state=all")).text
        assert f'href="/alerts?state=all&before={first["next_before"]}"' in page


async def test_one_open_alert_reads_in_the_singular(daemon_dir: Path) -> None:
    # The filter's option names a group ("abertos"); one alert's row is one alert ("aberto").
    for config, word in (("", "aberto"), ('[ui]\nlocale = "en"\n', "open")):
        async with running_daemon(daemon_dir, config) as daemon, httpx.AsyncClient() as client:
            op = daemon.listeners["operator"].url
            await _raise(daemon, "warning", "breaker_open", "crm")
            page = (await client.get(f"{op}/alerts")).text
            states = re.findall(r'<td class="alert-state">([^<]*)</td>', page)
            assert states and all(s.strip() == word for s in states), (config, states)
