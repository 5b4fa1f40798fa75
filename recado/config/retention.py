"""The ``[retention]`` section's checks: every period at least a day and at most ten years
(a longer one is a typo that keeps everything), the raw bodies kept no longer than the rows
applied from them, a batch small enough that writes never wait long behind it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recado.config.schema import RetentionSection

MAX_DAYS = 3650
MAX_BATCH_ROWS = 10_000
PERIODS = (
    "raw_bodies_days",
    "messages_days",
    "statuses_days",
    "attempts_days",
    "deliveries_days",
    "events_days",
)


def check_retention(add: Callable[[str], None], r: RetentionSection) -> None:
    for key in PERIODS:
        days = getattr(r, key)
        if not 1 <= days <= MAX_DAYS:
            add(f"retention.{key}: got {days} (expected 1 to {MAX_DAYS} days)")
    if r.raw_bodies_days > min(r.messages_days, r.statuses_days, r.events_days):
        add(
            f"retention.raw_bodies_days: got {r.raw_bodies_days} (expected at most "
            "messages_days, statuses_days and events_days: a body outliving what was "
            "applied from it could be replayed into rows already deleted)"
        )
    if not 1 <= r.batch_rows <= MAX_BATCH_ROWS:
        add(f"retention.batch_rows: got {r.batch_rows} (expected 1 to {MAX_BATCH_ROWS})")
    if not 0 <= r.hour <= 23:
        add(f"retention.hour: got {r.hour} (expected 0 to 23, the studio's local hour)")
