"""Chaos (issue 17 item 4), the suite's short form of bench/chaos.py: the real daemon is
SIGKILLed 10 times at random moments under mixed load (appointment events and their template
sends at the Graph double with status webhooks back, leads delivered to a CRM double, signed
inbound texts delivered to an operations double, button taps and their replies, operator page
reads) and restarted on the same data dir, what a kill cut being posted again with the same
ids. The ledger of what was acknowledged: nothing lost, nothing applied twice, nothing sent
to Meta twice, no delivery under a second Idempotency-Key."""

from __future__ import annotations

from pathlib import Path

from recado.testing.chaos_kills import chaos

KILLS = 10


async def test_kills_under_mixed_load_lose_nothing_and_repeat_nothing(tmp_path: Path) -> None:
    result = await chaos(tmp_path, KILLS, seed=7, life_s=(0.2, 1.0))
    verdict = result.verdict
    assert result.settled, result.lines()
    assert (verdict.lost, verdict.applied_twice) == ([], [])
    assert (verdict.sent_twice, verdict.new_key) == ([], [])
    # The run did what it says: every life was cut, and each kind of work happened.
    assert len(result.restarts_s) == KILLS
    assert verdict.acknowledged > 2 * KILLS
    assert verdict.sends > KILLS and verdict.deliveries > KILLS
