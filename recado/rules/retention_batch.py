"""How big the next retention batch is: sized by the time the last one held the writer, so
no batch holds it much longer than ``BUDGET_MS`` whatever the rows cost on this database
and this disk (CONTRACT §2: writes queued behind retention never wait long).

A batch's cost is not known before it runs (a message with many statuses costs more than
one without; a 6 GiB file on a busy disk costs more than a new one), so each kind starts
small and the size follows what the batches measured: scaled towards the budget, growing at
most twice per batch (one cheap batch says little about the next) and shrinking at once.
"""

from __future__ import annotations

# The longest a retention batch should hold the writer, its commit included. A write that
# arrives meanwhile waits for at most this plus its own commit: well under 50 ms.
BUDGET_MS = 15.0
# The first batch of each kind: small enough to fit the budget on any disk.
FIRST_ROWS = 32
# The longest a batch waits for the log to be copied back before the next one (a reader's
# long snapshot can hold the copy back; the run then goes on without it).
COPY_WAIT_S = 2.0
# Never fewer rows than this (unless ``batch_rows`` is lower): a batch's commit costs an fsync
# whatever its size, so on a slow disk tiny batches would not shorten any wait, only stretch
# the run over hours.
MIN_ROWS = 10


def next_rows(rows: int, took_ms: float, ceiling: int, budget_ms: float = BUDGET_MS) -> int:
    """The size of the batch after one of ``rows`` rows that took ``took_ms``: what fits the
    budget at the rate measured, at most twice ``rows``, within ``MIN_ROWS``..``ceiling``
    (``retention.batch_rows``)."""
    ceiling = max(1, ceiling)
    floor = min(MIN_ROWS, ceiling)
    if rows < 1:
        return first_rows(ceiling)
    if took_ms <= 0:
        return max(floor, min(ceiling, rows * 2))
    # In floats until it is bounded: a batch of a few microseconds would overflow int().
    fits = min(float(ceiling), rows * 2.0, rows * budget_ms / took_ms)
    return max(floor, int(fits))


def first_rows(ceiling: int) -> int:
    return max(1, min(FIRST_ROWS, ceiling))
