"""DNS rebinding: the operator listener answers only requests addressed to one of its own
names (recado/rules/host_check.py), on every route, pages and actions alike."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from hypothesis import given
from hypothesis import strategies as st

from recado.http.operator_app import create_operator_app
from recado.rules.host_check import host_problem, split_host
from tests.conftest import running_daemon

SERVICE = (
    '[[services]]\nname = "crm"\nbase_url = "http://127.0.0.1:9"\n'
    '[[sync]]\nname = "nightly"\nschedule = "0 3 * * *"\n'
    'source = "crm:GET:/a"\ntarget = "crm:POST:/b"\n'
)
# Every path parameter gets a plausible value: the refusal must come before routing matters.
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _foreign_hosts(port: int) -> list[str]:
    return [
        f"rebind.attacker.example:{port}",
        "rebind.attacker.example",
        f"127.0.0.1.attacker.example:{port}",
        f"localhost.attacker.example:{port}",
        f"sub.localhost:{port}",
        f"127.0.0.1:{port + 1}",
        f"localhost:{port}0",
        f"10.0.0.5:{port}",  # an address literal the listener is not bound to
        "",
        "a b",
        f"[::1]x:{port}",
    ]


async def test_every_route_refuses_a_host_that_is_not_the_listeners(daemon_dir: Path) -> None:
    async with (
        running_daemon(daemon_dir, SERVICE, test_hooks=False) as daemon,
        httpx.AsyncClient(timeout=10) as client,
    ):
        url = daemon.listeners["operator"].url
        assert url is not None
        port = _port(url)
        rules = list(create_operator_app(daemon).url_map.iter_rules())
        assert len(rules) > 20
        for rule in rules:
            path = _PARAM.sub("1", rule.rule)
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            for method in methods:
                for host in _foreign_hosts(port):
                    answer = await client.request(
                        method,
                        f"{url}{path}",
                        headers={
                            "Host": host,
                            "Origin": f"http://{host}",
                            "X-API-Key": daemon.api_key,
                        },
                        data={"csrf_token": "x"} if method == "POST" else None,
                    )
                    assert answer.status_code == 421, (method, path, host, answer.text[:200])
                    assert answer.json()["error"] == "wrong_host"
                    assert "set-cookie" not in answer.headers, (method, path, host)
        # A refused POST did nothing: the sync run was never started.
        job = (await client.get(f"{url}/sync.json")).json()["jobs"]["nightly"]
        assert job["runs"] == [] and not job["running"]


async def test_the_rebinding_attack_gets_no_token_and_starts_no_run(daemon_dir: Path) -> None:
    async with (
        running_daemon(daemon_dir, SERVICE, test_hooks=False) as daemon,
        httpx.AsyncClient(timeout=10) as client,
    ):
        url = daemon.listeners["operator"].url
        assert url is not None
        evil = f"rebind.attacker.example:{_port(url)}"
        page = await client.get(f"{url}/sync", headers={"Host": evil, "Accept": "text/html"})
        assert page.status_code == 421
        assert "csrf_token" not in page.text and "set-cookie" not in page.headers
        # With a real token from the real page, the rebound post is still refused.
        own = await client.get(f"{url}/sync")
        token = re.search(r'name="csrf_token" value="([^"]+)"', own.text)
        assert token is not None
        run = await client.post(
            f"{url}/sync/nightly/run",
            data={"csrf_token": token.group(1), "next": "/sync"},
            headers={
                "Host": evil,
                "Origin": f"http://{evil}",
                "Cookie": f"recado_csrf={token.group(1)}",
            },
        )
        assert run.status_code == 421
        job = (await client.get(f"{url}/sync.json")).json()["jobs"]["nightly"]
        assert job["runs"] == [] and not job["running"]


async def test_own_names_and_configured_proxy_names_are_answered(daemon_dir: Path) -> None:
    hosts = 'operator_hosts = ["recado.studio.lan", "Painel.Example:8443"]\n'
    async with (
        running_daemon(daemon_dir, http_toml=hosts) as daemon,
        httpx.AsyncClient(timeout=10) as client,
    ):
        url = daemon.listeners["operator"].url
        assert url is not None
        port = _port(url)
        for host in (
            f"127.0.0.1:{port}",
            f"localhost:{port}",
            f"LOCALHOST:{port}",
            "recado.studio.lan",
            "RECADO.studio.lan",
            "painel.example:8443",
        ):
            answer = await client.get(f"{url}/dashboard.json", headers={"Host": host})
            assert answer.status_code == 200, (host, answer.text[:200])
        for host in ("recado.studio.lan:8081", "painel.example", f"painel.example:{port}"):
            answer = await client.get(f"{url}/dashboard.json", headers={"Host": host})
            assert answer.status_code == 421, host


async def test_the_public_listener_is_not_limited_to_names(daemon_dir: Path) -> None:
    # Behind Meta and a TLS proxy its Host is whatever the studio's domain is.
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient(timeout=10) as client:
        url = daemon.listeners["public"].url
        answer = await client.get(f"{url}/healthz", headers={"Host": "hooks.studio.example"})
        assert answer.status_code == 200


_LABEL = st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)
_NAMES = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)


@given(name=_NAMES, port=st.integers(1, 65535), own_port=st.integers(1, 65535))
def test_any_name_but_ours_is_refused(name: str, port: int, own_port: int) -> None:
    header = f"{name}:{port}"
    accepted = host_problem(header, f"127.0.0.1:{own_port}", ["recado.lan"]) is None
    ours = port == own_port and name in ("localhost", "127.0.0.1")
    assert accepted == ours, header


@given(ip=st.ip_addresses(), port=st.integers(1, 65535))
def test_a_wildcard_listener_answers_address_literals_with_its_port_only(
    ip: object, port: int
) -> None:
    literal = f"[{ip}]" if ":" in str(ip) else str(ip)
    assert host_problem(f"{literal}:{port}", f"0.0.0.0:{port}", []) is None
    assert host_problem(f"{literal}:{port}", f"[::]:{port}", []) is None
    other = port % 65535 + 1
    assert host_problem(f"{literal}:{other}", f"0.0.0.0:{port}", []) is not None
    assert host_problem(f"evil.example:{port}", f"0.0.0.0:{port}", []) is not None


@given(st.text(max_size=300))
def test_any_header_text_is_judged_without_raising(text: str) -> None:
    split_host(text)
    host_problem(text, "127.0.0.1:8081", ["recado.lan", "x:1"])
