"""The events API against the real daemon: durable, idempotent, 422 naming the field, and the
appointment's message jobs planned in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from recado.rules.bounds import RANGE_TEXT
from recado.runtime.context import Daemon
from recado.runtime.reload import apply_paths
from tests.conftest import running_daemon
from tests.webhook_helpers import query

# The kill switch holds jobs queued, so these tests see what was planned, not sent.
HOLD = "kill_switch = true\n"


def _event(eid: str, etype: str, **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": etype, "occurred_at": "2026-11-24T10:00:00-03:00", "data": data}


def _appointment(
    apt: str = "apt-1", starts_in: timedelta = timedelta(days=3), **extra: Any
) -> dict[str, Any]:
    starts = (datetime.now(UTC) + starts_in).astimezone().isoformat(timespec="seconds")
    return {
        "appointment_id": apt,
        "client": {"name": "Ana Souza", "phone": "(11) 98765-4321"},
        "service": "Corte e escova",
        "starts_at": starts,
        **extra,
    }


async def _post(
    daemon: Daemon, client: httpx.AsyncClient, body: Any, key: str | None = "daemon"
) -> httpx.Response:
    headers = {"X-API-Key": daemon.api_key if key == "daemon" else (key or "")}
    return await client.post(
        f"{daemon.listeners['public'].url}/api/v1/events", json=body, headers=headers
    )


def _jobs(daemon: Daemon, apt: str = "apt-1") -> list[tuple[str, str]]:
    return [
        (r["kind"], r["state"])
        for r in query(
            daemon,
            "SELECT kind, state FROM messages WHERE appointment_id = ? ORDER BY created_at, kind",
            apt,
        )
    ]


async def test_accepted_duplicate_and_conflict(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        body = _event("evt_1", "appointment.created", **_appointment())
        first = await _post(daemon, client, body)
        assert (first.status_code, first.json()) == (202, {"id": "evt_1", "status": "accepted"})
        again = await _post(daemon, client, body)
        assert (again.status_code, again.json()) == (200, {"id": "evt_1", "status": "duplicate"})
        changed = dict(body, data=dict(body["data"], service="Coloração"))
        conflict = await _post(daemon, client, changed)
        assert conflict.status_code == 409
        assert conflict.json()["error"] == "conflict"
        assert query(daemon, "SELECT COUNT(*) AS n FROM events") == [{"n": 1}]
        apt = query(daemon, "SELECT phone, wa_id, service, status FROM appointments")[0]
        assert apt == {
            "phone": "+5511987654321",
            "wa_id": "5511987654321",
            "service": "Corte e escova",
            "status": "scheduled",
        }


async def test_api_key_is_required(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        body = _event("evt_k", "lead.created", id="lead-1")
        assert (await _post(daemon, client, body, key=None)).status_code == 401
        assert (await _post(daemon, client, body, key="wrong")).status_code == 401
        assert query(daemon, "SELECT COUNT(*) AS n FROM events") == [{"n": 0}]


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        (
            _event(
                "e", "appointment.created", **_appointment(client={"name": "Ana", "phone": "123"})
            ),
            "data.client.phone",
            '"123" must have an area code and 8 or 9 digits (e.g. 11 98765-4321)',
        ),
        (
            _event("e", "appointment.created", **_appointment(starts_at="2026-12-01T10:00:00")),
            "data.starts_at",
            "the time needs an offset, e.g. 2026-11-24T10:00:00-03:00",
        ),
        (
            _event(
                "e",
                "appointment.created",
                **{k: v for k, v in _appointment().items() if k != "service"},
            ),
            "data.service",
            "required",
        ),
        (
            _event("e", "appointment.canceled", appointment_id=7),
            "data.appointment_id",
            "Expected `str`, got `int`",
        ),
        (_event("e", "party.started", id="x"), "type", None),
        (_event("e", "lead.created", name="no id"), "data.id", "required"),
        ({"id": "e", "type": "lead.created", "data": {"id": "1"}}, "occurred_at", "required"),
        (
            dict(_event("e", "lead.created", id="1"), occurred_at="ontem"),
            "occurred_at",
            "expected an RFC 3339 time, e.g. 2026-11-24T10:00:00-03:00",
        ),
        # Times outside the sane range overflowed (500) or were accepted before.
        (
            _event(
                "e", "appointment.created", **_appointment(starts_at="9999-12-31T23:59:59-03:00")
            ),
            "data.starts_at",
            f"expected a time {RANGE_TEXT}",
        ),
        (
            _event(
                "e", "appointment.created", **_appointment(starts_at="0001-01-01T00:00:00+03:00")
            ),
            "data.starts_at",
            f"expected a time {RANGE_TEXT}",
        ),
        (
            dict(_event("e", "lead.created", id="1"), occurred_at="9999-12-31T23:59:59-03:00"),
            "occurred_at",
            f"expected a time {RANGE_TEXT}",
        ),
        (
            dict(_event("e", "lead.created", id="1"), occurred_at="1970-01-01T00:00:00Z"),
            "occurred_at",
            f"expected a time {RANGE_TEXT}",
        ),
        (dict(_event("e", "lead.created", id="1"), extra=1), "extra", "unknown field"),
    ],
)
async def test_invalid_events_name_the_field(
    daemon_dir: Path, body: dict[str, Any], field: str, detail: str | None
) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        response = await _post(daemon, client, body)
        assert response.status_code == 422
        error = response.json()
        assert error["error"] == "invalid_field"
        assert error["field"] == field
        if detail is not None:
            assert error["detail"] == f"{field}: {detail}"
        assert query(daemon, "SELECT COUNT(*) AS n FROM events") == [{"n": 0}]


async def test_every_problem_is_listed_at_once(daemon_dir: Path) -> None:
    data = _appointment(client={"name": " ", "phone": "123"}, starts_at="9999-01-01T00:00:00Z")
    data["service"] = 7
    body = dict(_event(" ", "appointment.created", **data), occurred_at="ontem", extra=True)
    expected = [
        ("data.client.name", "must not be empty"),
        (
            "data.client.phone",
            '"123" must have an area code and 8 or 9 digits (e.g. 11 98765-4321)',
        ),
        ("data.service", "Expected `str`, got `int`"),
        ("data.starts_at", f"expected a time {RANGE_TEXT}"),
        ("extra", "unknown field"),
        ("id", "must not be empty"),
        ("occurred_at", "expected an RFC 3339 time, e.g. 2026-11-24T10:00:00-03:00"),
    ]
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        response = await _post(daemon, client, body)
        assert response.status_code == 422
        error = response.json()
        problems = [(p["field"], p["detail"]) for p in error["problems"]]
        assert sorted(problems) == expected
        assert error["field"] == problems[0][0]
        assert error["detail"] == "; ".join(f"{f}: {d}" for f, d in problems)
        # Without an object to check, the envelope's own problems are all there is to say.
        bare = await _post(daemon, client, {"type": 5, "data": []})
        assert sorted((p["field"], p["detail"]) for p in bare.json()["problems"]) == [
            ("data", "Expected `object`, got `array`"),
            ("id", "required"),
            ("occurred_at", "required"),
            ("type", "Expected `str`, got `int`"),
        ]
        assert query(daemon, "SELECT COUNT(*) AS n FROM events") == [{"n": 0}]


async def test_not_json_is_400(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        response = await client.post(
            f"{daemon.listeners['public'].url}/api/v1/events",
            content=b"{nope",
            headers={"X-API-Key": daemon.api_key},
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_json"


async def test_booking_plans_notice_and_reminder_once(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir, HOLD) as daemon, httpx.AsyncClient() as client:
        # One booking, computed once: two calls a second apart would be two start times.
        booking = _appointment()
        await _post(daemon, client, _event("e1", "appointment.created", **booking))
        # The same booking sent again under another id plans nothing new.
        await _post(daemon, client, _event("e2", "appointment.created", **booking))
        assert sorted(_jobs(daemon)) == [
            ("appointment_created", "queued"),
            ("appointment_reminder", "queued"),
        ]
        due = {r["kind"]: r for r in query(daemon, "SELECT kind, due_at, starts_at FROM messages")}
        reminder = due["appointment_reminder"]
        assert (
            datetime.fromisoformat(reminder["starts_at"].replace("Z", "+00:00"))
            - datetime.fromisoformat(reminder["due_at"].replace("Z", "+00:00"))
        ) == timedelta(hours=24)


async def test_no_reminder_when_its_moment_has_passed(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir, HOLD) as daemon, httpx.AsyncClient() as client:
        await _post(
            daemon,
            client,
            _event("e1", "appointment.created", **_appointment(starts_in=timedelta(hours=5))),
        )
        assert _jobs(daemon) == [("appointment_created", "queued")]


async def test_reschedule_cancels_the_old_reminder_and_plans_new_ones(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir, HOLD) as daemon, httpx.AsyncClient() as client:
        await _post(daemon, client, _event("e1", "appointment.created", **_appointment()))
        await _post(
            daemon,
            client,
            _event("e2", "appointment.rescheduled", **_appointment(starts_in=timedelta(days=5))),
        )
        assert sorted(_jobs(daemon)) == [
            ("appointment_created", "canceled"),
            ("appointment_created", "queued"),
            ("appointment_reminder", "canceled"),
            ("appointment_reminder", "queued"),
        ]
        reasons = query(daemon, "SELECT DISTINCT reason_code FROM messages WHERE state='canceled'")
        assert reasons == [{"reason_code": "appointment_changed"}]


async def test_cancellation_cancels_pending_jobs_and_notifies_only_when_asked(
    daemon_dir: Path,
) -> None:
    async with running_daemon(daemon_dir, HOLD) as daemon, httpx.AsyncClient() as client:
        await _post(daemon, client, _event("e1", "appointment.created", **_appointment()))
        await _post(
            daemon,
            client,
            _event("e2", "appointment.canceled", appointment_id="apt-1", reason="cliente pediu"),
        )
        assert sorted(_jobs(daemon)) == [
            ("appointment_created", "canceled"),
            ("appointment_reminder", "canceled"),
        ]
        await _post(daemon, client, _event("e3", "appointment.created", **_appointment("apt-2")))
        await _post(
            daemon,
            client,
            _event("e4", "appointment.canceled", appointment_id="apt-2", notify_client=True),
        )
        assert ("appointment_canceled", "queued") in _jobs(daemon, "apt-2")
        apt = query(daemon, "SELECT status, cancel_reason FROM appointments WHERE id='apt-1'")
        assert apt == [{"status": "canceled", "cancel_reason": "cliente pediu"}]


async def test_disabled_mode_creates_no_jobs(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir, HOLD) as daemon, httpx.AsyncClient() as client:
        # As a reload of whatsapp.mode would leave it.
        daemon.config = apply_paths(
            daemon.config,
            msgspec.structs.replace(
                daemon.config,
                whatsapp=msgspec.structs.replace(daemon.config.whatsapp, mode="disabled"),
            ),
            ["whatsapp.mode"],
        )
        response = await _post(
            daemon, client, _event("e1", "appointment.created", **_appointment())
        )
        assert response.status_code == 202
        assert _jobs(daemon) == []
        assert query(daemon, "SELECT COUNT(*) AS n FROM appointments") == [{"n": 1}]


async def test_free_form_events_are_stored(daemon_dir: Path) -> None:
    async with running_daemon(daemon_dir) as daemon, httpx.AsyncClient() as client:
        for i, etype in enumerate(
            [
                "lead.created",
                "client.registered",
                "service.completed",
                "payment.received",
                "feedback.received",
            ]
        ):
            response = await _post(daemon, client, _event(f"f{i}", etype, id=f"x{i}", extra=[1]))
            assert response.status_code == 202
        rows = query(daemon, "SELECT type, data_json FROM events ORDER BY id")
        assert len(rows) == 5 and rows[0]["data_json"] == '{"extra": [1], "id": "x0"}'
