"""The ledger of what the daemon acknowledged, checked against what it kept and did.

After kills at random moments (bench/chaos.py, tests/test_chaos_kills.py) the database and the
doubles' logs must show, for every acknowledged write: kept (0 lost), applied once (0 applied
twice), each message at Meta once (0 sent twice: the Graph double's log, by the job id echoed
in ``biz_opaque_callback_data``) and each delivery under one ``Idempotency-Key`` (0 delivered
with a new key: the service doubles' logs).
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recado.testing.graph_double import GraphDouble
from recado.testing.service_double import ServiceDouble

# A notice whose send was cut by a kill stays `uncertain` until a status names it; the run
# does not wait `uncertain_timeout_s` for those, it counts them.
SETTLED = ("sent", "delivered", "read", "held", "failed", "dead", "uncertain", "skipped")


@dataclass
class Ledger:
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    appointments: list[str] = field(default_factory=list)

    def acknowledged(self, kind: str, key: str, body: dict[str, Any]) -> None:
        if kind == "event":
            self.events[key] = body
            if body["type"] == "appointment.created" and key not in self.appointments:
                self.appointments.append(body["data"]["appointment_id"])
        else:
            self.webhooks[key] = body

    @property
    def leads(self) -> list[str]:
        return [k for k, b in self.events.items() if b["type"] == "lead.created"]


@dataclass
class Verdict:
    acknowledged: int
    lost: list[str]
    applied_twice: list[str]
    sent_twice: list[str]
    new_key: list[str]
    uncertain: int
    sends: int
    deliveries: int

    @property
    def clean(self) -> bool:
        return not (self.lost or self.applied_twice or self.sent_twice or self.new_key)

    def line(self) -> str:
        return (
            f"acknowledged {self.acknowledged}: lost {len(self.lost)}, applied twice "
            f"{len(self.applied_twice)}, sent twice {len(self.sent_twice)}, delivered with a new "
            f"key {len(self.new_key)} (sends {self.sends}, deliveries {self.deliveries}, "
            f"notices left uncertain by a kill {self.uncertain})"
        )


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def settled(db: Path, ledger: Ledger) -> bool:
    """Everything acknowledged has been worked off: inbox processed, leads and inbound
    messages delivered, each appointment's notice past sending."""
    if _rows(db, "SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL")[0][0]:
        return False
    open_deliveries = "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'retrying')"
    if _rows(db, open_deliveries)[0][0]:
        return False
    states = ", ".join(f"'{s}'" for s in SETTLED)
    notices = _rows(
        db,
        "SELECT COUNT(*) FROM messages WHERE kind IN ('appointment_created', 'button_reply') "
        f"AND state NOT IN ({states})",
    )[0][0]
    return bool(notices == 0)


def check(
    db: Path, ledger: Ledger, graph: GraphDouble, services: dict[str, ServiceDouble]
) -> Verdict:
    events = {r[0] for r in _rows(db, "SELECT id FROM events")}
    inbound = Counter(r[0] for r in _rows(db, "SELECT wamid FROM inbound_messages"))
    notices = Counter(
        r[0]
        for r in _rows(db, "SELECT appointment_id FROM messages WHERE kind = 'appointment_created'")
    )
    deliveries = Counter((r[0], r[1]) for r in _rows(db, "SELECT event_id, action FROM deliveries"))
    done = {r[0] for r in _rows(db, "SELECT event_id FROM deliveries WHERE state = 'done'")}
    lost = [f"event {k}" for k in ledger.events if k not in events]
    lost += [f"webhook {k}" for k in ledger.webhooks if k not in inbound]
    lost += [f"notice {a}" for a in ledger.appointments if notices[a] == 0]
    lost += [f"delivery of {k}" for k in ledger.leads if k not in done]
    lost += [f"delivery of {k}" for k in ledger.webhooks if f"wa-in:{k}" not in done]
    twice = [f"inbound {k}" for k, n in inbound.items() if n > 1]
    twice += [f"notice {a}" for a, n in notices.items() if n > 1]
    twice += [f"delivery {k}" for k, n in deliveries.items() if n > 1]
    accepted = Counter(r.callback_data for r in graph.sends() if r.answered == "ok")
    sent_twice = [f"job {job}" for job, n in accepted.items() if n > 1]
    new_key: list[str] = []
    for name, double in services.items():
        keys: dict[str, set[str]] = defaultdict(set)
        for request in double.received():
            keys[str(request.body.get("id"))].add(request.key or "")
        new_key += [f"{name} {eid}: {sorted(ks)}" for eid, ks in keys.items() if len(ks) > 1]
    uncertain = _rows(db, "SELECT COUNT(*) FROM messages WHERE state = 'uncertain'")[0][0]
    return Verdict(
        acknowledged=len(ledger.events) + len(ledger.webhooks),
        lost=lost,
        applied_twice=twice,
        sent_twice=sent_twice,
        new_key=new_key,
        uncertain=int(uncertain),
        sends=sum(accepted.values()),
        deliveries=sum(len(d.received()) for d in services.values()),
    )
