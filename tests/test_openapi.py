"""The OpenAPI documents (recado/http/openapi.py): every route each app registers is described,
the documents are served on both listeners, and their schemas are the code's own types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import msgspec
from quart import Response
from quart_trio import QuartTrio

from recado.events.payloads import AppointmentData, CancelData, FreeFormData
from recado.http.api_operator import OPERATOR_ROUTES
from recado.http.api_public import PUBLIC_ROUTES
from recado.http.api_shapes import ErrorBody
from recado.http.openapi import Answer, RouteDoc, build_document, openapi_path, undocumented
from recado.http.operator_app import create_operator_app
from recado.http.params import install_params
from recado.http.public_app import create_public_app
from recado.rules.kinds import APPOINTMENT_TYPES, FREE_FORM_TYPES
from tests.conftest import running_daemon

ARGS = {"title": "t", "description": "d", "version": "0"}


async def test_every_registered_route_of_each_app_is_documented(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon:
        apps = {
            "public": (create_public_app(daemon), PUBLIC_ROUTES),
            "operator": (create_operator_app(daemon), OPERATOR_ROUTES),
        }
        for name, (app, registry) in apps.items():
            missing = undocumented(app.url_map, registry)
            assert not missing, f"{name} routes with no entry in its registry: {missing}"
            document = build_document(app.url_map, registry, **ARGS)
            served = {
                (method.upper(), path)
                for path, item in document["paths"].items()
                for method in item
            }
            registered = {
                (m, openapi_path(rule.rule))
                for rule in app.url_map.iter_rules()
                for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}
            }
            assert served == registered, name


async def test_both_listeners_serve_their_document(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        for name, listener in daemon.listeners.items():
            answer = await client.get(f"{listener.url}/openapi.json")
            assert answer.status_code == 200
            document = answer.json()
            assert document["openapi"] == "3.1.0", name
            assert "/openapi.json" in document["paths"], name
            assert "/healthz" in document["paths"], name
        public = (await client.get(f"{daemon.listeners['public'].url}/openapi.json")).json()
        operator = (await client.get(f"{daemon.listeners['operator'].url}/openapi.json")).json()
        assert "/api/v1/events" in public["paths"] and "/api/v1/events" not in operator["paths"]
        assert "/messages/{message_id}/retry" in operator["paths"]
        # A route a test installs (not the product's) is not documented, so not served.
        assert "/_test/write" not in operator["paths"]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = document["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_events_body_is_one_schema_per_type_with_the_decoders_data_struct() -> None:
    app = QuartTrio("t")

    @app.post("/api/v1/events")
    async def events() -> Response:
        return Response("")

    document = build_document(app.url_map, PUBLIC_ROUTES, **ARGS)
    body = document["paths"]["/api/v1/events"]["post"]["requestBody"]
    union = body["content"]["application/json"]["schema"]
    mapping = union["discriminator"]["mapping"]
    assert set(mapping) == {*APPOINTMENT_TYPES, *FREE_FORM_TYPES}
    want = {APPOINTMENT_TYPES[0]: AppointmentData, APPOINTMENT_TYPES[2]: CancelData}
    want |= dict.fromkeys(FREE_FORM_TYPES, FreeFormData)
    for event_type, struct in want.items():
        schema = _resolve(document, {"$ref": mapping[event_type]})
        data = _resolve(document, schema["properties"]["data"])
        (expected,), _ = msgspec.json.schema_components([struct])
        assert data["title"] == expected["$ref"].rsplit("/", 1)[1], event_type
        assert schema["properties"]["type"] == {"enum": [event_type]}


def test_every_refusal_is_documented_with_the_error_shape() -> None:
    for registry in (PUBLIC_ROUTES, OPERATOR_ROUTES):
        app = QuartTrio("t")
        install_params(app)
        for n, (method, rule) in enumerate(registry):
            app.add_url_rule(rule, f"v{n}", lambda **_: Response(""), methods=[method])
        document = build_document(app.url_map, registry, **ARGS)
        for path, item in document["paths"].items():
            for method, op in item.items():
                for status, answer in op["responses"].items():
                    if int(status) < 400 or (path == "/readyz" and status == "503"):
                        continue
                    schema = _resolve(document, answer["content"]["application/json"]["schema"])
                    assert {"error", "detail"} <= set(schema["required"]), (path, method, status)


def test_a_route_added_later_is_named_until_its_entry_is_added() -> None:
    """Another branch's route (incidents, say) fails the coverage test until described."""
    app = QuartTrio("t")

    @app.get("/incidents/<rowid_like>")
    async def incident(rowid_like: str) -> Response:
        return Response("")

    assert undocumented(app.url_map, PUBLIC_ROUTES) == ["GET /incidents/<rowid_like>"]
    registry = dict(PUBLIC_ROUTES)
    registry[("GET", "/incidents/<rowid_like>")] = RouteDoc(
        "An incident", {200: Answer("It", json=ErrorBody)}
    )
    assert undocumented(app.url_map, registry) == []
    document = build_document(app.url_map, registry, **ARGS)
    assert "/incidents/{rowid_like}" in document["paths"]
    parameter = document["paths"]["/incidents/{rowid_like}"]["get"]["parameters"][0]
    assert parameter["name"] == "rowid_like" and parameter["in"] == "path"
