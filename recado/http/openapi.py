"""The OpenAPI 3.1 document of a listener (``GET /openapi.json``), made from the routes the app
has registered and a registry of what each one takes and answers.

The schemas are the msgspec types the code decodes with and answers with
(``msgspec.json.schema_components``), so they are written once. A registered route with no
entry in the registry is left out of the document, and ``undocumented`` names it: a test
fails until it is described. An entry whose route is not registered is ignored, so a
registry may describe routes that arrive with another branch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from quart import Quart, Response, jsonify
from werkzeug.routing import Map, Rule

from recado.http.api_shapes import ErrorBody
from recado.rules.bounds import SQL_INT_MAX

REF = "#/components/schemas/{name}"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
# What every answer of any route may be besides its own (docs/reference.md §4).
COMMON_ERRORS: dict[int, str] = {
    503: "Storage is unavailable for now, or the listener is at its connection limit "
    "(Retry-After says when to try again)",
}
POST_ERRORS: dict[int, str] = {413: "The body is larger than http.max_body_bytes"}
ERROR_TEXT: dict[int, str] = {
    400: "The body is not usable JSON (or too deeply nested)",
    401: "Missing or wrong X-API-Key (or page token)",
    403: "Refused: a wrong token, or an action from another site",
    404: "No such record",
    409: "Refused by the record's state",
    415: "The body's media type is not one this route reads",
    422: "A field or parameter is invalid; the answer names it",
}
# werkzeug converters as JSON Schema (a value outside them does not match the route: 404).
_CONVERTERS: dict[str, dict[str, Any]] = {
    "default": {"type": "string", "pattern": "^[^/]+$"},
    "string": {"type": "string", "pattern": "^[^/]+$"},
    "rowid": {"type": "integer", "minimum": 0, "maximum": SQL_INT_MAX},
    "int": {"type": "integer", "minimum": 0, "maximum": SQL_INT_MAX},
    "path": {"type": "string"},
}
_ARGUMENT = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(frozen=True)
class Query:
    name: str
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Answer:
    """One status's body: a msgspec type as JSON, and/or an HTML page, or other text."""

    description: str
    json: Any = None
    html: bool = False
    text: str | None = None  # a media type answered as is (text/plain, ...)


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    answers: Mapping[int, Answer]
    errors: Mapping[int, Any] = field(default_factory=dict)  # status -> error type or None
    query: tuple[Query, ...] = ()
    body: Any = None  # the msgspec type of a JSON body
    form: bool = False  # also takes a page's form (csrf_token)
    security: str | None = None  # "api_key" or "operator" (the key, or a page's form)
    tags: tuple[str, ...] = ()


Registry = Mapping[tuple[str, str], RouteDoc]


def route_keys(url_map: Map) -> list[tuple[str, str, Rule]]:
    """Every (method, rule) the app answers, in the order it was registered."""
    return [
        (method, rule.rule, rule)
        for rule in url_map.iter_rules()
        for method in sorted((rule.methods or set()) - IGNORED_METHODS)
    ]


def undocumented(url_map: Map, registry: Registry) -> list[str]:
    return [f"{m} {path}" for m, path, _ in route_keys(url_map) if (m, path) not in registry]


def openapi_path(rule: str) -> str:
    return _ARGUMENT.sub(lambda m: "{" + m.group(2) + "}", rule)


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    return [
        {
            "name": m.group(2),
            "in": "path",
            "required": True,
            "schema": _CONVERTERS.get(m.group(1) or "default", _CONVERTERS["default"]),
        }
        for m in _ARGUMENT.finditer(rule.rule)
    ]


class _Types:
    """The msgspec types a document names, turned into components in one call."""

    def __init__(self) -> None:
        self.types: list[Any] = []

    def ref(self, typ: Any) -> dict[str, Any]:
        """A placeholder the schema of ``typ`` replaces once every type is known."""
        self.types.append(typ)
        return {"$recado_type": len(self.types) - 1}

    def resolve(self, node: Any, schemas: tuple[dict[str, Any], ...]) -> Any:
        if isinstance(node, dict):
            if "$recado_type" in node:
                return schemas[node["$recado_type"]]
            return {k: self.resolve(v, schemas) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, schemas) for v in node]
        return node


def _content(answer: Answer, types: _Types) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if answer.json is not None:
        content["application/json"] = {"schema": types.ref(answer.json)}
    if answer.html:
        content["text/html"] = {"schema": {"type": "string"}}
    if answer.text:
        content[answer.text] = {"schema": {"type": "string"}}
    return content


def _operation(method: str, rule: Rule, doc: RouteDoc, types: _Types) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, answer in doc.answers.items():
        responses[str(status)] = {"description": answer.description}
        content = _content(answer, types)
        if content:
            responses[str(status)]["content"] = content
    errors = {**COMMON_ERRORS, **(POST_ERRORS if method == "POST" else {})}
    for status, typ in {**dict.fromkeys(errors), **doc.errors}.items():
        text = errors.get(status) or ERROR_TEXT.get(status, "Refused")
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": types.ref(typ or ErrorBody)}},
        }
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', rule.rule)}",
        "summary": doc.summary,
        "responses": responses,
    }
    if doc.tags:
        operation["tags"] = list(doc.tags)
    parameters = _path_parameters(rule) + [
        {"name": q.name, "in": "query", "required": False, "schema": q.schema}
        | ({"description": q.description} if q.description else {})
        for q in doc.query
    ]
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": types.ref(doc.body)}},
        }
    if doc.security == "api_key":
        operation["security"] = [{"api_key": []}]
    elif doc.security == "operator":
        operation["security"] = [{"api_key": []}, {"page_form": []}]
    return operation


def build_document(
    url_map: Map, registry: Registry, *, title: str, description: str, version: str
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the documented routes ``url_map`` has registered."""
    types = _Types()
    paths: dict[str, dict[str, Any]] = {}
    for method, path, rule in route_keys(url_map):
        doc = registry.get((method, path))
        if doc is not None:
            operation = _operation(method, rule, doc, types)
            paths.setdefault(openapi_path(path), {})[method.lower()] = operation
    schemas, components = msgspec.json.schema_components(types.types, ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": types.resolve(paths, schemas),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "page_form": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "recado_csrf",
                    "description": "A page's form: the cookie, the same csrf_token field, "
                    "and an Origin (or Referer) of this site",
                },
            },
        },
    }


def install_openapi(app: Quart, registry: Registry, *, title: str, description: str) -> None:
    """``GET /openapi.json``, made once the app's routes are all registered (first asked)."""
    made: list[dict[str, Any]] = []

    @app.get("/openapi.json")
    async def openapi() -> Response:
        if not made:
            from recado import __version__

            made.append(
                build_document(
                    app.url_map, registry, title=title, description=description, version=__version__
                )
            )
        return jsonify(made[0])


def statuses(*codes: int, typ: Any = None) -> dict[int, Any]:
    """Error statuses a route answers, each with the error shape (or ``typ``)."""
    return dict.fromkeys(codes, typ)


def merge(
    *registries: Iterable[tuple[tuple[str, str], RouteDoc]],
) -> dict[tuple[str, str], RouteDoc]:
    out: dict[tuple[str, str], RouteDoc] = {}
    for registry in registries:
        for key, doc in registry:
            if key in out:
                raise ValueError(f"{key} is documented twice")
            out[key] = doc
    return out
