"""The dashboard's counters of the chart's days: each studio day's counters of
``daily_counts`` (one row per quarter hour, metric and key) summed by SQLite over the
table's key (bucket first), so the page reads one small total per day and key, not every
quarter hour of 14 days."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from recado.storage.counts import day_counts


def spans_counts(
    conn: sqlite3.Connection, spans: Sequence[tuple[str, str]]
) -> list[dict[str, dict[str, int]]]:
    """Every counter of each [start, end) (ISO instants on a quarter), by metric then key."""
    return [day_counts(conn, start, end) for start, end in spans]
