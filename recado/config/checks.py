"""What the config means, checked after its shape: addresses, zones, references between
flows, services and templates. The grammar of flow actions, delays and endpoints lives in
``rules/flows.py`` (actors read it at run time), listen addresses in ``config/listen.py``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recado.config.incident_checks import check_incidents
from recado.config.listen import check_listen
from recado.config.listen import parse_listen as parse_listen
from recado.config.retention import check_retention
from recado.config.signup_checks import check_signup
from recado.rules.buttons import BUTTONS
from recado.rules.chat_message import BODY_SHAPES
from recado.rules.flows import HttpAction, ParseError, WhatsAppAction, parse_action, parse_delay
from recado.rules.flows import parse_endpoint as parse_endpoint
from recado.rules.graph_versions import parse_version
from recado.rules.kinds import EVENT_TYPES
from recado.rules.schedule import schedule_problem

if TYPE_CHECKING:
    from recado.config.schema import Config, Template

MODES = ("disabled", "dry_run", "enabled")
LOCALES = ("pt-BR", "en")
LOG_LEVELS = ("debug", "info", "warning", "error")
TEMPLATE_PARAMS = ("client_name", "service", "date", "time", "location", "studio_name")
# Each connection is a file descriptor; beyond this no sane RLIMIT_NOFILE holds both caps.
MAX_CONNECTIONS = 100_000
PARAMETER_FORMATS = ("positional", "named")
# Meta's rule for named parameters: lowercase letters, digits and underscores.
_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,59}$")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SERVICE_NAME = re.compile(r"^[a-z0-9_-]+$")

# Upper bounds of the numbers that reach time arithmetic or loops: beyond them a value is a
# typo, and an unchecked one overflows a datetime (1e300 hours before an appointment) or
# waits forever.
_DAY_S = 86400
_AT_MOST: tuple[tuple[str, float], ...] = (
    ("daemon.shutdown_grace_s", 3600),
    ("http.max_body_bytes", 2**30),
    ("whatsapp.max_attempts", 100),
    ("whatsapp.retry_base_s", _DAY_S),
    ("whatsapp.retry_cap_s", 7 * _DAY_S),
    ("whatsapp.messages_per_second", 1000),
    ("whatsapp.reminder_hours_before", 24 * 365),
    ("whatsapp.uncertain_timeout_s", 7 * _DAY_S),
)
_SERVICE_AT_MOST: tuple[tuple[str, float], ...] = (
    ("timeout_s", 3600),
    ("max_attempts", 100),
    ("breaker.failure_threshold", 10_000),
    ("breaker.open_s", 7 * _DAY_S),
)


def check(cfg: Config) -> list[str]:
    problems: list[str] = []
    add = problems.append
    d, h, w = cfg.daemon, cfg.http, cfg.whatsapp

    _one_of(add, "daemon.log_level", d.log_level, LOG_LEVELS)
    try:
        ZoneInfo(d.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a key that names a directory ("America") or is too long for a file name.
        add(
            f'daemon.timezone: "{d.timezone}" is not a known time zone '
            '(expected an IANA name like "America/Sao_Paulo")'
        )
    _positive(add, "daemon.shutdown_grace_s", d.shutdown_grace_s)

    check_listen(add, h)
    _http_url(add, "http.public_base_url", h.public_base_url)
    if h.max_body_bytes < 1024:
        add(f"http.max_body_bytes: got {h.max_body_bytes} (expected at least 1024)")
    for key, cap in (
        ("http.public_max_connections", h.public_max_connections),
        ("http.operator_max_connections", h.operator_max_connections),
    ):
        if not 1 <= cap <= MAX_CONNECTIONS:
            add(f"{key}: got {cap} (expected 1 to {MAX_CONNECTIONS})")
    for key, seconds in (
        ("http.public_body_timeout_s", h.public_body_timeout_s),
        ("http.header_timeout_s", h.header_timeout_s),
        ("http.keep_alive_s", h.keep_alive_s),
        ("http.connection_lifetime_s", h.connection_lifetime_s),
        ("http.send_timeout_s", h.send_timeout_s),
    ):
        if not 0 < seconds <= 3600:
            add(f"{key}: got {seconds} (expected more than 0, at most 3600)")

    if cfg.security.secret_key:
        import base64
        import binascii

        try:
            ok = len(base64.b64decode(cfg.security.secret_key, validate=True)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            add(
                "security.secret_key_file: the key is not base64 of 32 bytes "
                "(expected e.g. the output of `head -c32 /dev/urandom | base64`)"
            )

    _one_of(add, "ui.locale", cfg.ui.locale, LOCALES)
    check_retention(add, cfg.retention)
    if cfg.studio.booking_url:
        _http_url(add, "studio.booking_url", cfg.studio.booking_url)

    _one_of(add, "whatsapp.mode", w.mode, MODES)
    for i, number in enumerate(w.allowlist):
        if not _E164.match(number):
            add(f'whatsapp.allowlist[{i}]: "{number}" is not E.164 (expected +<country><number>)')
    if w.test_recipient and not _E164.match(w.test_recipient):
        add(
            f'whatsapp.test_recipient: "{w.test_recipient}" is not E.164 '
            "(expected +<country><number>)"
        )
    _http_url(add, "whatsapp.graph_base_url", w.graph_base_url)
    if parse_version(w.api_version) is None:
        # It is a path segment of every request: anything else sends to a path Meta lacks.
        add(f'whatsapp.api_version: "{w.api_version}" is not a Graph API version (expected v<n>.0)')
    if w.max_attempts < 1:
        add(f"whatsapp.max_attempts: got {w.max_attempts} (expected at least 1)")
    _positive(add, "whatsapp.retry_base_s", w.retry_base_s)
    if w.retry_cap_s < w.retry_base_s:
        add(
            f"whatsapp.retry_cap_s: got {w.retry_cap_s} (expected at least retry_base_s, "
            f"{w.retry_base_s})"
        )
    if w.messages_per_second < 0:
        add(
            f"whatsapp.messages_per_second: got {w.messages_per_second} "
            "(expected 0 for unlimited, or more)"
        )
    _positive(add, "whatsapp.reminder_hours_before", w.reminder_hours_before)
    _positive(add, "whatsapp.uncertain_timeout_s", w.uncertain_timeout_s)
    if w.mode == "enabled":
        if not w.app_secret:
            add(
                'whatsapp.app_secret_file: required when whatsapp.mode = "enabled" '
                "(expected the Meta app secret, to check webhook signatures)"
            )
        if not w.access_token and not w.embedded_signup_enabled:
            add(
                'whatsapp.access_token_file: required when whatsapp.mode = "enabled" '
                "(expected a token, or embedded_signup_enabled = true)"
            )
        if not w.phone_number_id and not w.embedded_signup_enabled:
            add(
                'whatsapp.phone_number_id: required when whatsapp.mode = "enabled" '
                "(expected the business phone number id)"
            )
    for tname, tpl in w.templates.items():
        where = f"whatsapp.templates.{tname}"
        for i, param in enumerate(tpl.body_params):
            if param not in TEMPLATE_PARAMS:
                add(
                    f'{where}.body_params[{i}]: "{param}" is not known '
                    f"(expected one of: {', '.join(TEMPLATE_PARAMS)})"
                )
        for i, button in enumerate(tpl.buttons):
            if button not in BUTTONS:
                add(
                    f'{where}.buttons[{i}]: "{button}" is not known '
                    f"(expected one of: {', '.join(BUTTONS)})"
                )
        _check_param_names(add, where, tpl)

    names: set[str] = set()
    for i, svc in enumerate(cfg.services):
        where = f"services[{i}]"
        if not _SERVICE_NAME.match(svc.name):
            add(f'{where}.name: "{svc.name}" is not a valid name (expected a-z, 0-9, _ or -)')
        if svc.name in names:
            add(f'{where}.name: "{svc.name}" is used twice (expected unique service names)')
        names.add(svc.name)
        _http_url(add, f"{where}.base_url", svc.base_url)
        _positive(add, f"{where}.timeout_s", svc.timeout_s)
        if svc.max_attempts < 1:
            add(f"{where}.max_attempts: got {svc.max_attempts} (expected at least 1)")
        if svc.breaker.failure_threshold < 1:
            add(
                f"{where}.breaker.failure_threshold: got {svc.breaker.failure_threshold} "
                "(expected at least 1)"
            )
        _positive(add, f"{where}.breaker.open_s", svc.breaker.open_s)

    known = ", ".join(sorted(names)) or "none defined"
    for i, flow in enumerate(cfg.flows):
        where = f"flows[{i}]"
        _one_of(add, f"{where}.event", flow.event, EVENT_TYPES)
        for j, action in enumerate(flow.actions):
            text = action if isinstance(action, str) else action.action
            if not isinstance(action, str):
                try:
                    parse_delay(action.delay)
                except ParseError as exc:
                    add(f"{where}.actions[{j}].delay: {exc}")
                if action.body not in BODY_SHAPES or (
                    action.body == "chat" and not text.startswith("http:")
                ):
                    add(
                        f'{where}.actions[{j}].body: "{action.body}" is not allowed (expected '
                        '"envelope", or "chat" for an http: action)'
                    )
            try:
                parsed = parse_action(text)
            except ParseError as exc:
                add(f"{where}.actions[{j}]: {exc}")
                continue
            if isinstance(parsed, HttpAction) and parsed.endpoint.service not in names:
                add(
                    f'{where}.actions[{j}]: service "{parsed.endpoint.service}" is not defined '
                    f"(expected one of: {known})"
                )
            if isinstance(parsed, WhatsAppAction) and parsed.template not in w.templates:
                add(
                    f'{where}.actions[{j}]: template "{parsed.template}" is not defined '
                    f"(expected one of: {', '.join(sorted(w.templates))})"
                )

    jobs: set[str] = set()
    for i, job in enumerate(cfg.sync):
        where = f"sync[{i}]"
        if job.name in jobs:
            add(f'{where}.name: "{job.name}" is used twice (expected unique sync job names)')
        jobs.add(job.name)
        schedule_error = schedule_problem(job.schedule, datetime.now(UTC), _zone(d.timezone))
        if schedule_error is not None:
            add(f'{where}.schedule: "{job.schedule}" {schedule_error}')
        for key in ("source", "target"):
            value = getattr(job, key)
            try:
                endpoint = parse_endpoint(value)
            except ParseError as exc:
                add(f"{where}.{key}: {exc}")
                continue
            if endpoint.service not in names:
                add(
                    f'{where}.{key}: service "{endpoint.service}" is not defined '
                    f"(expected one of: {known})"
                )
    check_incidents(add, cfg)
    problems.extend(check_signup(cfg))
    problems.extend(_ranges(cfg))
    return problems


def _zone(name: str) -> ZoneInfo:
    """The studio's zone, or UTC while it is itself a problem (reported on its own)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def _ranges(cfg: Config) -> list[str]:
    values = [(key, _dotted(cfg, key), limit) for key, limit in _AT_MOST]
    for i, svc in enumerate(cfg.services):
        values += [(f"services[{i}].{k}", _dotted(svc, k), limit) for k, limit in _SERVICE_AT_MOST]
    return [
        f"{key}: got {value} (expected at most {int(limit)})"
        for key, value, limit in values
        if value > limit
    ]


def _dotted(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def _one_of(add: Any, key: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        add(f'{key}: "{value}" is not allowed (expected one of: {", ".join(options)})')


def _http_url(add: Any, key: str, value: str) -> None:
    if urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc:
        add(f'{key}: "{value}" is not a URL (expected http(s)://…)')


def _positive(add: Any, key: str, value: float) -> None:
    if value <= 0:
        add(f"{key}: got {value} (expected more than 0)")


def _check_param_names(add: Any, where: str, tpl: Template) -> None:
    if tpl.parameter_format not in PARAMETER_FORMATS:
        add(
            f'{where}.parameter_format: "{tpl.parameter_format}" is not known '
            f"(expected one of: {', '.join(PARAMETER_FORMATS)})"
        )
        return
    if not tpl.named:
        if tpl.param_names:
            add(f'{where}.param_names: only with parameter_format = "named"')
        return
    if tpl.param_names and len(tpl.param_names) != len(tpl.body_params):
        add(
            f"{where}.param_names: {len(tpl.param_names)} names for "
            f"{len(tpl.body_params)} body_params (expected one name per value)"
        )
    names = tpl.sent_names
    for i, name in enumerate(names):
        if not _PARAM_NAME.match(name):
            add(
                f'{where}.param_names[{i}]: "{name}" is not a valid parameter name '
                "(expected lowercase letters, digits and underscores)"
            )
    if len(set(names)) != len(names):
        add(f"{where}.param_names: a name is used twice (expected unique names)")
