"""Every route of both listeners, fuzzed against the real daemon on loopback: hostile path
values, query strings and bodies, with and without the API key, the webhook signature or a
page's form token. Nothing is a 5xx, and every 4xx a script gets has the JSON error shape.

The routes come from the apps' own url_maps, and the query parameters from the source of
``recado/http``, so a new route or parameter is fuzzed without touching this file; a route
that no generated request reaches fails ``test_every_route_was_reached``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Map, Rule

import recado.http
from recado.http.operator_app import create_operator_app
from recado.http.public_app import create_public_app
from recado.runtime.context import Daemon
from recado.whatsapp.signature import sign
from tests.daemon_thread import daemon_in_a_thread
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, write_secrets

EXAMPLES_PER_ROUTE = 80
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FUZZ_TOML = WEBHOOK_TOML + "kill_switch = true\n"
HTTP_SOURCES = Path(recado.http.__file__).parent


def query_names() -> list[str]:
    """Every query parameter a route reads, found where the routes read them."""
    reads = re.compile(r'(?:args\.get|args\[|query_\w+)\(?\s*"([^"]+)"')
    names = {n for p in HTTP_SOURCES.glob("*.py") for n in reads.findall(p.read_text())}
    return sorted(names)


# -- what is thrown ------------------------------------------------------------------------
weird_ints = st.sampled_from(
    ["0", "1", "-1", "²", "١٢", "５", str(2**63 - 1), str(2**63), str(10**30), "9" * 400, "1e3"]
)
weird_times = st.sampled_from(
    [
        "9999-12-31",
        "0001-01-01",
        "2026-02-30",
        "9999-12-31T23:59:59-03:00",
        "0001-01-01T00:00:00+03:00",
        "2026-11-24T10:00:00",
        "2026-11-24T10:00:00Z",
        "２０２６-11-24",
    ]
)
text = st.text(max_size=12)
path_values = (
    weird_ints
    | st.integers(min_value=0, max_value=2**64).map(str)
    | weird_times
    | text
    | st.sampled_from(["x.json", "1.json", "", "é", "a/b", "%", "..", "+5511987654321"])
)
query_values = weird_ints | weird_times | text
# What httpx would never encode by itself: bad escapes, bytes that are not UTF-8, NULs.
raw_queries = st.sampled_from(["", "%FF=%FE", "page=%ZZ", "=&&=", "limit=%C2%B2", "date=%00"])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | text
    | weird_ints
    | weird_times,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)
# The keys routes and the events API look for, with hostile values.
BODY_KEYS = ["id", "type", "occurred_at", "data", "since", "on", "path", "key", "object", "entry"]
EVENT_TYPES = ["appointment.created", "appointment.rescheduled", "appointment.canceled"]
EVENT_TYPES += ["lead.created", "payment.received", "party.started"]
appointment_data = st.fixed_dictionaries(
    {},
    optional={
        "appointment_id": text | weird_ints,
        "client": st.fixed_dictionaries(
            {}, optional={"name": text, "phone": st.sampled_from(["11987654321", "١١9٨٧٦٥٤٣٢١"])}
        )
        | json_values,
        "service": text,
        "starts_at": weird_times | st.just("2030-01-01T10:00:00-03:00"),
        "location": json_values,
        "notify_client": json_values,
        "id": text,
    },
)
event_bodies = st.fixed_dictionaries(
    {},
    optional={
        "id": text | weird_ints,
        "type": st.sampled_from(EVENT_TYPES) | json_values,
        "occurred_at": weird_times | st.just("2026-11-24T10:00:00-03:00"),
        "data": appointment_data | json_values,
    },
)
keyed_bodies = st.dictionaries(st.sampled_from(BODY_KEYS), json_values, max_size=4)
deep_bodies = st.builds(
    lambda n, opener: (opener * n + "1" + ("]" if opener == "[" else "}") * n).encode(),
    st.sampled_from([65, 990, 5000]),
    st.sampled_from(["[", '{"a":']),
)
huge_numbers = st.sampled_from([b'{"id": 1e400}', b'{"id": ' + b"9" * 5000 + b"}", b"[1e999]"])
bodies = (
    st.builds(lambda v: json.dumps(v).encode(), event_bodies | keyed_bodies | json_values)
    | deep_bodies
    | huge_numbers
    | st.binary(max_size=64)
    | st.just(b"")
)
auth_modes = st.sampled_from(["none", "api_key", "signed", "page_token"])
accepts = st.sampled_from(["application/json", BROWSER, None])


# -- the daemon, in a thread of its own ----------------------------------------------------
@dataclass
class Route:
    listener: str
    rule: Rule
    method: str

    @property
    def name(self) -> str:
        return f"{self.listener} {self.method} {self.rule.rule}"


@dataclass
class Live:
    daemon: Daemon
    urls: dict[str, str]
    maps: dict[str, Map]
    routes: list[Route]
    form_token: str
    client: httpx.Client
    reached: Counter[str] = field(default_factory=Counter)


def _routes(maps: dict[str, Map]) -> list[Route]:
    return [
        Route(listener, rule, method)
        for listener, url_map in maps.items()
        for rule in url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    directory = tmp_path_factory.mktemp("fuzz_routes")
    write_secrets(directory)
    for daemon in daemon_in_a_thread(directory, FUZZ_TOML):
        urls = {name: listener.url or "" for name, listener in daemon.listeners.items()}
        maps = {
            "public": create_public_app(daemon).url_map,
            "operator": create_operator_app(daemon).url_map,
        }
        with httpx.Client(timeout=10) as client:
            token = _form_token(daemon, urls, client)
            yield Live(daemon, urls, maps, _routes(maps), token, client)


def _form_token(daemon: Daemon, urls: dict[str, str], client: httpx.Client) -> str:
    """A page with an action form (a queued message, held by the kill switch) gives the
    token and cookie a person's browser would send."""
    event = {
        "id": "seed",
        "type": "appointment.created",
        "occurred_at": "2026-11-24T10:00:00-03:00",
        "data": {
            "appointment_id": "apt-seed",
            "client": {"name": "Ana", "phone": "11987654321"},
            "service": "Corte",
            "starts_at": "2030-01-01T10:00:00-03:00",
        },
    }
    headers = {"X-API-Key": daemon.api_key}
    answer = client.post(f"{urls['public']}/api/v1/events", json=event, headers=headers)
    assert answer.status_code == 202, answer.text
    items = client.get(f"{urls['operator']}/messages.json").json()["items"]
    page = client.get(f"{urls['operator']}/messages/{items[0]['id']}")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the message page has no action form"
    # The token opens the form path: past the check, an unknown breaker is a 404, not a 401.
    probe = client.post(
        f"{urls['operator']}/circuit-breakers/nope/reset",
        data={"csrf_token": found.group(1), "next": "/dashboard"},
        headers={"Origin": urls["operator"], "Accept": "application/json"},
    )
    assert probe.status_code == 404, probe.text
    return found.group(1)


# -- one request ---------------------------------------------------------------------------
def _path(rule: Rule, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return quote(values[match.group(1)], safe="")

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule)


def _reached(live: Live, route: Route, path: str) -> bool:
    adapter = live.maps[route.listener].bind("127.0.0.1")
    try:
        rule, _ = adapter.match(unquote(path), route.method, return_rule=True)
    except Exception:
        return False
    return rule is route.rule


def _safe_backup_path(raw: bytes) -> bytes:
    """A backup writes where it is told, as root: fuzzed paths stay inside the data dir."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    if isinstance(body, dict) and isinstance(body.get("path"), str):
        name = re.sub(r"[^a-z0-9]", "", body["path"].lower())[:40] or "x"
        body["path"] = f"fuzz-backups/{name}.db"
        return json.dumps(body).encode()
    return raw


def _send(
    live: Live,
    route: Route,
    path: str,
    query: dict[str, str],
    body: bytes,
    auth: str,
    accept: str | None,
    raw_query: str = "",
) -> httpx.Response:
    headers: dict[str, str] = {"Accept": accept} if accept else {}
    data: Any = None
    if route.method == "POST" and auth == "page_token":
        headers["Origin"] = live.urls[route.listener]
        data = {"csrf_token": live.form_token, "next": "/dashboard", "x": body.decode("latin-1")}
        body = b""
    elif route.method == "POST":
        headers["Content-Type"] = "application/json"
        if auth == "api_key":
            body = _safe_backup_path(body)
    if auth == "api_key":
        headers["X-API-Key"] = live.daemon.api_key
    if auth == "signed":
        headers["X-Hub-Signature-256"] = sign(APP_SECRET, body)
    request = live.client.build_request(
        route.method,
        live.urls[route.listener] + path + (f"?{raw_query}" if raw_query else ""),
        params=query,
        headers=headers,
        content=body if route.method == "POST" and data is None else None,
        data=data,
    )
    if accept is None:
        del request.headers["Accept"]
    try:
        return live.client.send(request)
    except httpx.HTTPError as exc:
        raise AssertionError(f"{route.name} → {request.url}: no answer ({exc!r})") from exc


def _check(route: Route, response: httpx.Response, accept: str | None) -> None:
    where = f"{route.name} → {response.request.url} ({response.status_code}): {response.text[:300]}"
    assert response.status_code < 500, where
    if response.status_code >= 400 and accept != BROWSER:
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"not the JSON error shape: {where}") from None
        assert isinstance(body, dict) and isinstance(body.get("error"), str), where
        assert isinstance(body.get("detail"), str) and body["detail"], where


def _fuzz(live: Live, route: Route, names: list[str]) -> None:
    arguments = sorted(route.rule.arguments)

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        values=st.fixed_dictionaries({a: path_values for a in arguments}),
        query=st.dictionaries(st.sampled_from(names) | text, query_values, max_size=4),
        body=bodies,
        auth=auth_modes,
        accept=accepts,
        raw_query=raw_queries,
    )
    def one(
        values: dict[str, str],
        query: dict[str, str],
        body: bytes,
        auth: str,
        accept: str | None,
        raw_query: str,
    ) -> None:
        path = _path(route.rule, values)
        if _reached(live, route, path):
            live.reached[route.name] += 1
        answer = _send(live, route, path, query, body, auth, accept, raw_query)
        _check(route, answer, accept)

    one()


# -- the tests -----------------------------------------------------------------------------
def test_query_parameters_are_found_in_the_routes() -> None:
    names = query_names()
    assert {"page", "per_page", "limit", "before", "date", "state", "sig"} <= set(names), names


def test_every_route_is_reachable_by_the_fuzz(live: Live) -> None:
    """A route whose path values the fuzz cannot produce (a new converter, say) is a route
    nobody fuzzes: teach ``path_values`` about it."""
    assert {r.listener for r in live.routes} == {"public", "operator"}
    unreachable = [
        r.name for r in live.routes if not _reached(live, r, _path(r.rule, _plain(r.rule)))
    ]
    assert not unreachable, unreachable


def test_no_route_answers_a_5xx(live: Live) -> None:
    names = query_names()
    for route in live.routes:
        path = _path(route.rule, _plain(route.rule))
        if _reached(live, route, path):
            live.reached[route.name] += 1
        _check(route, _send(live, route, path, {}, b"{}", "api_key", None), None)
        # Any other method is a 405 in the error shape, with the methods it takes.
        other = live.client.request("PUT", live.urls[route.listener] + path)
        assert other.status_code == 405 and other.json()["error"] == "method_not_allowed"
        _fuzz(live, route, names)
    missing = [r.name for r in live.routes if live.reached[r.name] == 0]
    assert not missing, f"no fuzzed request reached: {missing}"


def _plain(rule: Rule) -> dict[str, str]:
    """Path values every converter accepts (and ``path_values`` draws)."""
    return {a: "1" for a in rule.arguments}
