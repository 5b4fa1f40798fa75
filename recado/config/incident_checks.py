"""What the ``[incidents]`` section and ``http.operator_base_url`` mean, checked after their
shape: business hours, thresholds in range, the contingency channel and its text, the SLA
table."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from recado.rules.business_hours import HoursError, parse_hours
from recado.rules.contingency import CHANNELS
from recado.rules.incident_sla import PRIORITIES

if TYPE_CHECKING:
    from recado.config.schema import Config

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_DAY_MIN = 24 * 60
# key, lowest (excluded), highest (included)
_RANGES: tuple[tuple[str, float, float], ...] = (
    ("check_interval_s", 0, 300),
    ("graph_failure_min", 0, _DAY_MIN),
    ("webhook_silence_min", 0, _DAY_MIN),
    ("failure_rate_percent", 0, 100),
    ("failure_window_min", 0, _DAY_MIN),
    ("update_interval_min", 0, _DAY_MIN),
    ("normal_flow_min", 0, _DAY_MIN),
)
MAX_TEXT = 1000  # one WhatsApp message; Meta's limit is 4096, a notice should be short


def check_incidents(add: Callable[[str], None], cfg: Config) -> None:
    inc = cfg.incidents
    for key, low, high in _RANGES:
        value = getattr(inc, key)
        if not low < value <= high:
            add(f"incidents.{key}: got {value} (expected more than {low:g}, at most {high:g})")
    if not 1 <= inc.failure_min_sends <= 100_000:
        add(f"incidents.failure_min_sends: got {inc.failure_min_sends} (expected 1 to 100000)")
    for i, entry in enumerate(inc.business_hours):
        try:
            parse_hours(entry)
        except HoursError as exc:
            add(f"incidents.business_hours[{i}]: {exc}")
    if inc.contingency_channel not in CHANNELS:
        add(
            f'incidents.contingency_channel: "{inc.contingency_channel}" is not allowed '
            f"(expected one of: {', '.join(CHANNELS)})"
        )
    contact = inc.contingency_contact
    if contact and inc.contingency_channel == "email" and not _EMAIL.match(contact):
        add(f'incidents.contingency_contact: "{contact}" is not an e-mail address')
    if contact and inc.contingency_channel == "phone" and not _E164.match(contact):
        add(
            f'incidents.contingency_contact: "{contact}" is not E.164 (expected +<country><number>)'
        )
    text = inc.contingency_text.strip()
    if not text or len(text) > MAX_TEXT:
        add(f"incidents.contingency_text: got {len(text)} characters (expected 1 to {MAX_TEXT})")
    for name, terms in inc.sla.items():
        where = f"incidents.sla.{name}"
        if name not in PRIORITIES:
            add(f'{where}: "{name}" is not a priority (expected one of: {", ".join(PRIORITIES)})')
            continue
        for key, limit in (
            ("response_min", 365 * _DAY_MIN),
            ("workaround_min", 365 * _DAY_MIN),
            ("postmortem_h", 365 * 24),
        ):
            value = getattr(terms, key)
            if not 0 <= value <= limit:
                add(f"{where}.{key}: got {value} (expected 0 for untracked, up to {limit})")
    base = cfg.http.operator_base_url
    if base and (urlparse(base).scheme not in ("http", "https") or not urlparse(base).netloc):
        add(f'http.operator_base_url: "{base}" is not a URL (expected http(s)://…)')
