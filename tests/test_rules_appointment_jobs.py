from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recado.rules.appointment_jobs import NOTICE, REMINDER, job_id, plan_jobs

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=2)


def test_created_plans_notice_now_and_reminder_24h_before() -> None:
    plan = plan_jobs("appointment.created", "a1", STARTS, True, NOW, 24, "dry_run")
    assert [(j.kind, j.due_at) for j in plan.create] == [
        (NOTICE, NOW),
        (REMINDER, STARTS - timedelta(hours=24)),
    ]
    assert not plan.cancel_all and not plan.cancel_other_times


def test_reminder_moment_exactly_now_is_not_planned() -> None:
    plan = plan_jobs(
        "appointment.created", "a1", NOW + timedelta(hours=24), True, NOW, 24, "enabled"
    )
    assert [j.kind for j in plan.create] == [NOTICE]


def test_notify_false_and_disabled_plan_nothing() -> None:
    assert plan_jobs("appointment.created", "a1", STARTS, False, NOW, 24, "enabled").create == []
    plan = plan_jobs("appointment.rescheduled", "a1", STARTS, True, NOW, 24, "disabled")
    assert plan.create == [] and plan.cancel_other_times


def test_cancel_plans_a_notice_only_when_asked() -> None:
    assert plan_jobs("appointment.canceled", "a1", STARTS, False, NOW, 24, "enabled").create == []
    plan = plan_jobs("appointment.canceled", "a1", STARTS, True, NOW, 24, "enabled")
    assert [j.kind for j in plan.create] == ["appointment_canceled"] and plan.cancel_all


def test_job_ids_follow_the_dedupe_key() -> None:
    assert job_id(NOTICE, "a1", STARTS) == job_id(NOTICE, "a1", STARTS)
    assert job_id(NOTICE, "a1", STARTS) != job_id(NOTICE, "a1", STARTS + timedelta(hours=1))
    assert job_id(NOTICE, "a1", STARTS) != job_id(REMINDER, "a1", STARTS)
