"""The incident page's diagnosis, in the SOP's order: what the daemon can check itself right
now (the token as far as Meta told us, Graph reachability and latency, the queues, the last
webhook, the breakers, the actors), and links for what it cannot (Meta's status page, the
journal)."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import trio

from recado.clock import iso
from recado.rules.health import connection_state
from recado.runtime.context import Daemon
from recado.storage.counts import hub_counts
from recado.storage.incident_facts import last_webhook_at
from recado.storage.incident_queries import message_queues
from recado.storage.sending import last_accepted_send
from recado.storage.whatsapp_connections import latest as latest_connection
from recado.whatsapp.reachability import GraphProbe, probe_graph

META_STATUS_URL = "https://metastatus.com/whatsapp-business-api"
JOURNAL_COMMAND = 'journalctl -u recado --since "-1 hour"'
# A page opened again within this time reuses the last probe rather than asking Meta again.
PROBE_REUSE_S = 30.0


class TokenCheck(msgspec.Struct, frozen=True, kw_only=True):
    connection: str  # not_configured | configured | active | connecting | error | ...
    source: str | None  # whose token sends use: connection | config (None: no token)
    signup_enabled: bool  # Embedded Signup (/connect/whatsapp) can make a new connection
    refused_at: str | None  # when Meta refused the token (sending paused)
    last_accepted_at: str | None


class GraphCheck(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    reachable: bool
    latency_ms: float | None
    status: int | None
    error: str


class QueueCheck(msgspec.Struct, frozen=True, kw_only=True):
    messages_queued: int
    messages_uncertain: int
    messages_dead: int
    deliveries_pending_events: int
    deliveries_retrying: int
    deliveries_dead: int


class WebhookCheck(msgspec.Struct, frozen=True, kw_only=True):
    last_received_at: str | None
    minutes_ago: int | None


class Diagnosis(msgspec.Struct, frozen=True, kw_only=True):
    token: TokenCheck
    graph: GraphCheck
    queues: QueueCheck
    webhooks: WebhookCheck
    open_breakers: list[str]
    actors: dict[str, dict[str, Any]]
    crash_looping: list[str]
    kill_switch: bool
    meta_status_url: str
    journal_command: str


_probes: dict[str, tuple[float, GraphProbe]] = {}


async def _probe(url: str) -> GraphProbe:
    seen = _probes.get(url)
    if seen is not None and trio.current_time() - seen[0] < PROBE_REUSE_S:
        return seen[1]
    found = await probe_graph(url)
    _probes[url] = (trio.current_time(), found)
    return found


async def diagnose(daemon: Daemon) -> Diagnosis:
    cfg, now = daemon.config, daemon.clock.now()
    wa = cfg.whatsapp
    paused = daemon.sending_paused
    last_accepted = await daemon.storage.read(last_accepted_send)
    probe = await _probe(wa.graph_base_url)
    messages = await daemon.storage.read(message_queues)
    hub = await daemon.storage.read(hub_counts, iso(now))
    last_webhook = await daemon.storage.read(last_webhook_at)
    minutes = None
    if last_webhook is not None:
        minutes = math.floor((now - last_webhook).total_seconds() / 60)
    breakers = daemon.breakers.snapshot(now)
    record = await daemon.storage.read(latest_connection)
    return Diagnosis(
        token=TokenCheck(
            # As the dashboard says it: the Embedded Signup connection when there is one.
            connection=connection_state(
                bool(wa.access_token and wa.phone_number_id),
                paused is not None,
                last_accepted,
                record["status"] if record else None,
            ),
            source=creds.source if (creds := daemon.whatsapp_credentials()) else None,
            signup_enabled=wa.embedded_signup_enabled,
            refused_at=paused.get("at") if paused else None,
            last_accepted_at=last_accepted,
        ),
        graph=GraphCheck(
            url=wa.graph_base_url,
            reachable=probe.reachable,
            latency_ms=probe.latency_ms,
            status=probe.status,
            error=probe.error,
        ),
        queues=QueueCheck(
            messages_queued=messages["queued"],
            messages_uncertain=messages["uncertain"],
            messages_dead=messages["dead"],
            deliveries_pending_events=hub.pending_events,
            deliveries_retrying=hub.retry_total,
            deliveries_dead=hub.dead_total,
        ),
        webhooks=WebhookCheck(
            last_received_at=iso(last_webhook) if last_webhook else None,
            minutes_ago=None if minutes is None else max(0, minutes),
        ),
        open_breakers=sorted(n for n, b in breakers.items() if b["state"] != "closed"),
        actors=daemon.supervisor.snapshot(),
        crash_looping=sorted(daemon.supervisor.crash_looping()),
        kill_switch=daemon.kill_switch_on,
        meta_status_url=META_STATUS_URL,
        journal_command=JOURNAL_COMMAND,
    )
