"""The dashboard's counters of a span: the rows of ``daily_counts`` (one per quarter hour,
metric and key) the "today" figures and the 14-day chart are summed from, read by the
table's key (bucket first), so 14 days cost the same whatever the studio's traffic."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from recado.storage.counts import bucket


def span_rows(
    conn: sqlite3.Connection, start: str, end: str, metrics: Sequence[str]
) -> list[tuple[str, str, str, int]]:
    """(bucket, metric, key, n) of ``metrics`` in [start, end) (ISO instants on a quarter)."""
    marks = ", ".join("?" * len(metrics))
    rows = conn.execute(
        "SELECT bucket, metric, key, n FROM daily_counts WHERE bucket >= ? AND bucket < ? "
        f"AND metric IN ({marks})",
        (bucket(start), bucket(end), *metrics),
    ).fetchall()
    return [(r["bucket"], r["metric"], r["key"], int(r["n"])) for r in rows]
