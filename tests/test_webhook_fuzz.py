"""Random JSON thrown at the live webhook endpoint never gets a 5xx nor breaks processing."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recado.testing import webhook_bodies as wb
from recado.testing.daemon_process import DaemonProcess, write_config
from recado.whatsapp.signature import sign
from tests.webhook_helpers import APP_SECRET, WEBHOOK_TOML, write_secrets
from tests.webhook_poison import PoisonBody, poisoned_bodies

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
items = st.dictionaries(
    st.sampled_from(
        [
            "id",
            "from",
            "to",
            "timestamp",
            "type",
            "status",
            "text",
            "button",
            "context",
            "errors",
            "biz_opaque_callback_data",
            "interactive",
        ]
    ),
    json_values,
    max_size=8,
)
values = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.lists(items, max_size=3),
        "statuses": st.lists(items, max_size=3),
        "message_echoes": st.lists(items, max_size=2),
        "history": json_values,
        "state_sync": json_values,
        "contacts": json_values,
        "metadata": json_values,
        "errors": json_values,
    },
)
changes = st.fixed_dictionaries(
    {
        "field": st.sampled_from(
            [
                "messages",
                "smb_message_echoes",
                "history",
                "smb_app_state_sync",
                "message_template_status_update",
                "account_update",
            ]
        ),
        "value": values | json_values,
    }
)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    write_secrets(directory)
    process = DaemonProcess(write_config(directory, WEBHOOK_TOML), test_hooks=False).start()
    yield process
    process.terminate()


def _post(daemon: DaemonProcess, body: Any) -> int:
    raw = json.dumps(body).encode()
    headers = {"X-Hub-Signature-256": sign(APP_SECRET, raw), "Content-Type": "application/json"}
    return httpx.post(
        f"{daemon.public_url}/webhooks/whatsapp", content=raw, headers=headers, timeout=10
    ).status_code


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(json_values)
def test_any_json_is_never_a_5xx(daemon: DaemonProcess, value: Any) -> None:
    assert _post(daemon, value) in (200, 400)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(changes, min_size=1, max_size=3))
def test_any_change_in_a_valid_envelope_is_accepted(
    daemon: DaemonProcess, body_changes: list[dict[str, Any]]
) -> None:
    assert _post(daemon, wb.envelope(body_changes)) == 200


GOOD_SEEN: list[str] = []


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(poisoned_bodies(tag="LIVE"))
def test_poison_in_any_position_is_accepted_and_costs_no_good_item(
    daemon: DaemonProcess, body: PoisonBody
) -> None:
    """Arbitrary values in every position of every kind of item, malformed entries and
    changes, integers of 5000 digits, 1e400, lone surrogates: the signed body is taken (200)
    and its good messages are applied (checked, with the processor's health, below)."""
    headers = {"X-Hub-Signature-256": sign(APP_SECRET, body.raw)}
    response = httpx.post(
        f"{daemon.public_url}/webhooks/whatsapp", content=body.raw, headers=headers, timeout=10
    )
    assert response.status_code == 200, (response.text, body.poison)
    GOOD_SEEN.extend(body.good_wamids)


def test_processor_survived_the_fuzzing(daemon: DaemonProcess) -> None:
    deadline = time.monotonic() + 60
    while True:
        data = httpx.get(f"{daemon.operator_url}/dashboard.json").json()
        if data["webhooks"]["pending"] == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert data["webhooks"]["pending"] == 0
    assert data["webhooks"]["failed"] == 0
    assert data["actors"]["webhook_processor"]["restarts"] == 0
    # Every good message beside the poison was applied.
    assert GOOD_SEEN
    with sqlite3.connect(f"file:{daemon.data_dir / 'recado.db'}?mode=ro", uri=True) as conn:
        applied = {r[0] for r in conn.execute("SELECT wamid FROM inbound_messages")}
    assert set(GOOD_SEEN) <= applied, sorted(set(GOOD_SEEN) - applied)[:5]
