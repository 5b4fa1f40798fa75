"""schemathesis against the running daemon, from the document each listener serves: no 5xx,
every answer conforms to its documented status, media type, headers and schema, and every 4xx
is the JSON error shape. Shared by tests/test_openapi_fuzz.py (a short run) and bench/fuzz.py
(a long one)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from recado.runtime.context import Daemon
from tests.daemon_thread import daemon_in_a_thread

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]


def error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """A 4xx to a script is ``{"error": "<code>", "detail": "<sentence>"}``."""
    if 400 <= response.status_code < 500:
        try:
            body = json.loads(response.content)
        except ValueError:
            raise AssertionError(f"a {response.status_code} that is not JSON") from None
        assert isinstance(body, dict), f"a {response.status_code} that is not a JSON object"
        assert isinstance(body.get("error"), str) and body["error"], "no error code"
        assert isinstance(body.get("detail"), str) and body["detail"], "no detail sentence"
    return True


@dataclass
class Outcome:
    """What one listener's run did: requests per operation and status, and any failures."""

    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def count(self, operation: str, status: int) -> None:
        seen = self.statuses.setdefault(operation, {})
        seen[status] = seen.get(status, 0) + 1


def _safe(case: schemathesis.Case) -> None:
    """A backup writes where it is told: fuzzed paths stay inside the data directory."""
    if case.operation.path == "/backup" and isinstance(case.body, dict):
        name = re.sub(r"[^a-z0-9]", "", str(case.body.get("path", "")).lower())[:40] or "x"
        case.body["path"] = f"fuzz-backups/{name}.db"


@dataclass(frozen=True)
class Live:
    """The running daemon and path values that name its seeded records."""

    daemon: Daemon
    known: dict[str, list[str]]


def fuzz_listener(live: Live, listener: str, examples: int, *, seed: int | None = None) -> Outcome:
    """Every operation of the listener's document, ``examples`` cases each."""
    base = live.daemon.listeners[listener].url or ""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    outcome = Outcome()
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{listener} {operation.method.upper()} {operation.path}"
        try:
            _fuzz_operation(live, base, session, operation, label, examples, seed, outcome)
        except (Exception, BaseExceptionGroup) as exc:
            outcome.failures.append(f"{label}: {exc}")
    return outcome


def _cases(operation: schemathesis.APIOperation, known: dict[str, list[str]]) -> Any:
    """Generated cases, and as many again on the seeded records when the path names them."""
    names = [p.name for p in operation.path_parameters]
    # Negative cases break the documented schema on purpose: each must be refused, not crash.
    generated = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    if not names or not all(n in known for n in names):
        return generated
    fixed = [
        operation.as_strategy(path_parameters=dict(zip(names, values, strict=True)))
        for values in itertools.product(*(known[n] for n in names))
    ]
    return st.one_of(generated, *fixed)


def _fuzz_operation(
    live: Live,
    base: str,
    session: requests.Session,
    operation: schemathesis.APIOperation,
    label: str,
    examples: int,
    seed: int | None,
    outcome: Outcome,
) -> None:
    # Without the key half the time: a route that needs it must refuse in the error shape.
    with_key = st.booleans() if operation.definition.raw.get("security") else st.just(False)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @given(case=_cases(operation, live.known), key=with_key)
    def one(case: schemathesis.Case, key: bool) -> None:
        _safe(case)
        headers = {"Accept": "application/json"}
        if key:
            headers["X-API-Key"] = live.daemon.api_key
        response = case.call(base_url=base, session=session, headers=headers, timeout=30)
        outcome.count(label, response.status_code)
        case.validate_response(
            response,
            checks=CHECKS,
            additional_checks=[error_shape],
            headers=headers,
            transport_kwargs={"base_url": base, "session": session, "headers": headers},
        )

    if seed is not None:
        one = hypothesis.seed(seed)(one)
    one()


def live_daemon(directory: Path, extra_toml: str = "") -> Iterator[Live]:
    """The daemon with an event (so pages have a message, an event and an appointment)."""
    for daemon in daemon_in_a_thread(directory, extra_toml):
        yield Live(daemon, _seed(daemon))


def _seed(daemon: Daemon) -> dict[str, list[str]]:
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
    url = daemon.listeners["public"].url
    answer = requests.post(
        f"{url}/api/v1/events", json=event, headers={"X-API-Key": daemon.api_key}, timeout=30
    )
    assert answer.status_code == 202, answer.text
    operator = daemon.listeners["operator"].url
    listed = requests.get(f"{operator}/messages.json", timeout=30).json()["items"]
    message_ids = [m["id"] for m in listed]
    return {
        "message_id": message_ids + [f"{m}.json" for m in message_ids],
        "event_id": ["seed", "seed.json"],
        "appointment_id": ["apt-seed", "apt-seed.json"],
        "wa_id": ["5511987654321"],
    }
