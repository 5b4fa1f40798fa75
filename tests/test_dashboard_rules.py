"""The pure rules behind the dashboard's morning check (issue 15): every reason the status
can give says what to do and where, in both languages; each alert links to what it is
about; the checklist's sync item reads "last night" from each job's own schedule; today's
counters and the 14-day chart put each quarter hour in the studio's day, in any zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.clock import iso
from recado.http.i18n import TEXT
from recado.rules import day_counts as dc
from recado.rules.alert_links import alert_href
from recado.rules.health import STATUS_ORDER, HealthFacts, connection_state, evaluate
from recado.rules.morning_checklist import SyncJobFacts, morning_checklist, sync_job_check
from recado.rules.reason_links import TARGETS, reason_target
from recado.rules.whatsapp_faults import DASHBOARD_CODES
from recado.storage.counts import bucket

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
TODAY = date(2026, 12, 1)
LANGUAGES = ("pt-BR", "en")


def _every_fault(**more: object) -> HealthFacts:
    facts: dict[str, object] = {
        "mode": "enabled",
        "whatsapp_auth_broken": True,
        "storage_fault": "disk_full",
        "storage_fault_since": "01/12/2026 10:00",
        "crash_looping_actors": ("sender",),
        "open_breakers": ("crm",),
        "dlq_total": 10,
        "retry_queue_total": 51,
        "events_today_total": 10,
        "events_today_processed": 5,
        "events_today_failed": 5,
        "sync_recent_failures": {"crm": 3},
        "sync_set_aside": {"crm": ("schedule", "no fire"), "erp": ("internal_error", "x")},
        "sync_last_failed": {"crm": "HTTP 500"},
        "reload_refused": ("whatsapp.mode: expected one of ...",),
        "config_path": "/etc/recado/recado.toml",
        "standing_alerts": tuple((c, "pt", "en") for c in DASHBOARD_CODES),
        "webhooks_failed": 1,
        "pending_events": 101,
        "connection_error": ("pt", "en"),
        "connection_warning": ("pt", "en"),
        "template_problems": (("pt", "en"),),
        "template_sync_failed": ("pt", "en"),
        "api_version": "v1.0",
        "today": TODAY,
        "connection_caps_hit": (("public", 100),),
        "backup_stale": ("pt", "en"),
        "kill_switch": True,
    }
    facts.update(more)
    return HealthFacts(**facts)  # type: ignore[arg-type]


def _codes() -> set[str]:
    found = set()
    for facts in (
        _every_fault(),
        _every_fault(mode="disabled", storage_fault=None, storage_writable=False),
    ):
        found |= {r.code for r in evaluate(facts).reasons}
    return found


def test_every_reason_the_status_gives_has_a_page_and_what_to_do_in_both_languages() -> None:
    codes = _codes()
    # The facts above reach every reason rules/health has.
    assert {"storage", "storage_disk_full", "mode_disabled", "kill_switch"} <= codes
    shared = {"storage" if c.startswith("storage_") else c for c in codes}
    assert shared == set(TARGETS), "a reason without a target, or a target no reason has"
    for code in codes:
        target = reason_target(code)
        assert target.href.startswith("/") and target.fix != "unknown", code
        for locale in LANGUAGES:
            assert TEXT[locale].get(f"fix.{target.fix}"), (locale, code)
    assert reason_target("a_reason_added_later").href == "/alerts"


def test_every_checklist_word_exists_in_both_languages() -> None:
    connections = {
        connection_state(configured, broken, last, record)
        for configured in (True, False)
        for broken in (True, False)
        for last in (None, "2026-12-01T10:00:00.000Z")
        for record in (None, "active", "error", "connecting", "disconnected")
    }
    keys = {f"check.healthy.{s}" for s in STATUS_ORDER[:-1]} | {"check.healthy.ok"}
    keys |= {f"check.whatsapp.{c}" for c in connections}
    keys |= {f"check.job.{o}" for o in ("ran", "running", "failed", "missed", "schedule")}
    keys |= {f"check.{k}" for k in ("healthy", "whatsapp", "critical_alerts", "dlq", "sync")}
    for locale in LANGUAGES:
        missing = {k for k in keys if not TEXT[locale].get(k)}
        assert not missing, (locale, missing)


@pytest.mark.parametrize(
    ("code", "subject", "href"),
    [
        ("incident_open", "7", "/incidents/7"),
        ("incident_update_due", "7", "/incidents/7"),
        ("incident_sla_missed", "7:response", "/incidents/7"),
        ("breaker_open", "crm", "/circuit-breakers#breaker-crm"),
        ("breaker_open", "a b/c", "/circuit-breakers#breaker-a%20b%2Fc"),
        ("backup_stale", "/var/lib/recado/backups", "/backups"),
        ("whatsapp_auth", "whatsapp", "/connect/whatsapp"),
        ("whatsapp_signup_error_rate", "whatsapp_signup", "/connect/whatsapp"),
        ("smb_sync_late", "whatsapp_connection:3", "/connect/whatsapp"),
        ("button_cancel", "apt-9", "/appointments/apt-9"),
        ("graph_131026", "msg-abc", "/messages/msg-abc"),
        ("http_500", "msg/1", "/messages/msg%2F1"),
        ("transport_timeout", "m1", "/messages/m1"),
        ("jobs_planned_late", "", "/messages"),
        ("sync_failed", "crm_noturno", "/sync"),
        ("crash_loop", "sender", "/dashboard#actors"),
        ("config_reload_refused", "config", "/audit"),
        ("webhook_silence", "whatsapp", "/webhooks"),
        ("reminder_window_closed", "whatsapp", "/messages"),
        ("template_problem", "appointment_created", "/templates"),
        ("graph_unstable", "whatsapp", "/connect/whatsapp"),
        ("connection_cap", "public", None),
        ("storage_disk_full", "", None),
        ("graph_131026", "", None),
    ],
)
def test_an_alert_links_to_what_it_is_about(code: str, subject: str, href: str | None) -> None:
    assert alert_href(code, subject) == href


def _at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=SAO_PAULO)


@pytest.mark.parametrize(
    ("last_run", "status", "outcome"),
    [
        (None, None, "missed"),
        ("2026-12-01T03:00:00", "done", "ran"),
        ("2026-12-01T05:10:00", "done", "ran"),  # run by hand after the night's fire
        ("2026-11-30T03:00:00", "done", "missed"),  # the night before last
        ("2026-12-01T03:00:00", "running", "running"),
        ("2026-12-01T03:00:00", "failed", "failed"),
    ],
)
def test_last_nights_sync_reads_the_jobs_own_schedule(
    last_run: str | None, status: str | None, outcome: str
) -> None:
    job = SyncJobFacts("crm", "0 3 * * *", _at(last_run) if last_run else None, status)
    check = sync_job_check(job, _at("2026-12-01T08:00:00"), SAO_PAULO)
    assert check.outcome == outcome
    assert check.fire == _at("2026-12-01T03:00:00")


def test_a_weekly_job_ran_last_week_is_on_time_and_a_job_without_fires_is_not() -> None:
    now = _at("2026-12-01T08:00:00")  # a Tuesday
    weekly = SyncJobFacts("erp", "0 2 * * 0", _at("2026-11-29T02:00:00"), "done")
    assert sync_job_check(weekly, now, SAO_PAULO).outcome == "ran"
    never = SyncJobFacts("x", "0 0 30 2 *", None, None)  # 30 February
    assert sync_job_check(never, now, SAO_PAULO).outcome == "schedule"


def _checklist(**more: object) -> dict[str, tuple[bool, str]]:
    facts: dict[str, object] = {
        "status": "healthy",
        "reasons": 0,
        "connection": "active",
        "critical_alerts": 0,
        "dlq_total": 0,
        "sync_jobs": [],
        "now": _at("2026-12-01T08:00:00"),
        "tz": SAO_PAULO,
    }
    facts.update(more)
    return {i.key: (i.ok, i.why) for i in morning_checklist(**facts)}  # type: ignore[arg-type]


def test_the_checklist_is_true_only_when_each_fact_is() -> None:
    assert all(ok for ok, _ in _checklist().values())
    assert _checklist(status="paused", reasons=1)["healthy"] == (False, "check.healthy.paused")
    assert _checklist(connection="configured")["whatsapp"][0] is False
    assert _checklist(critical_alerts=1)["critical_alerts"] == (False, "check.critical.open")
    assert _checklist(dlq_total=9)["dlq"][0] is True
    assert _checklist(dlq_total=10)["dlq"] == (False, "check.dlq.many")
    late = SyncJobFacts("crm", "0 3 * * *", None, None)
    ran = SyncJobFacts("erp", "0 3 * * *", _at("2026-12-01T03:00:02"), "done")
    assert _checklist(sync_jobs=[ran])["sync"] == (True, "check.sync.ran")
    assert _checklist(sync_jobs=[ran, late])["sync"] == (False, "check.sync.late")


def test_success_is_judged_against_95_percent() -> None:
    assert dc.rate(95, 5).good is True
    assert dc.rate(94, 6).good is False
    assert dc.rate(0, 0).value is None and dc.rate(0, 0).good is None
    counters = dc.message_counters(
        dc.message_outcomes({"read": 2, "played": 1, "delivered": 3, "sent": 1, "held": 1})
        | {"failed": 1}
    )
    # The funnel: sent counts the delivered and read ones too.
    assert (counters.sent, counters.delivered, counters.read) == (8, 6, 3)
    assert counters.success.ok == 8 and counters.success.done == 9


def test_every_message_state_has_one_outcome() -> None:
    from recado.rules.states import MESSAGE_STATES

    assert set(dc.OUTCOME_OF) == set(MESSAGE_STATES)
    assert set(dc.OUTCOME_OF.values()) == set(dc.MESSAGE_OUTCOMES)


ZONES = [
    ZoneInfo(z)
    for z in ("America/Sao_Paulo", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "UTC")
]


@given(
    zone=st.sampled_from(ZONES),
    today=st.dates(date(2020, 1, 1), date(2040, 12, 31)),
    offsets=st.lists(st.integers(-2 * 96, 16 * 96), max_size=60),
)
def test_each_quarter_counts_on_the_studios_day(
    zone: ZoneInfo, today: date, offsets: list[int]
) -> None:
    spans = dc.day_spans(today, zone)
    assert [s.date() for s, _ in spans] == [today - timedelta(days=13 - i) for i in range(14)]
    start = spans[0][0]
    quarters = [start.astimezone(UTC) + timedelta(minutes=15 * q) for q in offsets]
    # The buckets as daily_counts keys them, compared as SQLite compares them: as text.
    keys = [q.strftime("%Y-%m-%dT%H:%M") for q in quarters]
    sums = []
    for s, e in spans:
        lo, hi = bucket(iso(s)), bucket(iso(e))
        sums.append({"message": {"sent": sum(lo <= k < hi for k in keys)}})
    days = dc.by_day(sums, today)
    for d in days:
        expected = sum(1 for q in quarters if q.astimezone(zone).date() == d.day)
        assert d.messages["sent"] == expected
    inside = sum(1 for q in quarters if spans[0][0] <= q < spans[-1][1])
    assert sum(d.messages["sent"] for d in days) == inside


def test_a_day_without_counters_is_all_zeros() -> None:
    days = dc.by_day([{}] * dc.CHART_DAYS, date(2026, 12, 1))
    assert days[-1].day == date(2026, 12, 1)
    assert all(not any(d.messages.values()) and not d.deliveries and not d.dry_run for d in days)
