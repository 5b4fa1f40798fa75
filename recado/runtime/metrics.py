"""Prometheus metrics, one registry per daemon (tests run several daemons in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from recado.storage.faults import FAULT_KINDS


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhook_requests = Counter(
            "recado_webhook_requests",
            "Webhook POSTs by outcome (accepted, bad_signature, rejected, too_large)",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_processed = Counter(
            "recado_webhook_bodies_processed",
            "Inbox bodies applied (ok) or failed",
            ["result"],
            registry=self.registry,
        )
        self.actor_restarts = Gauge(
            "recado_actor_restarts", "Restarts of each actor", ["actor"], registry=self.registry
        )
        self.storage_batches = Gauge(
            "recado_storage_batches", "Group commits done", registry=self.registry
        )
        self.storage_writes = Gauge(
            "recado_storage_writes", "Writes committed or failed", registry=self.registry
        )
        self.storage_fault = Gauge(
            "recado_storage_fault",
            "1 while commits fail for this storage reason (disk_full, read_only, locked, ...)",
            ["kind"],
            registry=self.registry,
        )
        self.storage_commit_failures = Gauge(
            "recado_storage_commit_failures",
            "Group commits that failed (storage faults)",
            registry=self.registry,
        )

        self.deliveries = Counter(
            "recado_deliveries",
            "Hub delivery attempts by service and outcome (done, transient, permanent)",
            ["service", "outcome"],
            registry=self.registry,
        )
        self.delivery_latency = Histogram(
            "recado_delivery_latency_seconds",
            "Time for a service to answer a delivery",
            ["service"],
            registry=self.registry,
        )
        self.breaker_state = Gauge(
            "recado_breaker_state",
            "Circuit breaker per service: 0 closed, 1 half open, 2 open",
            ["service"],
            registry=self.registry,
        )
        self.sync_runs = Counter(
            "recado_sync_runs",
            "Sync runs by job and status",
            ["job", "status"],
            registry=self.registry,
        )
        self.hub_queue = Gauge(
            "recado_hub_queue",
            "Deliveries waiting: retry (retry queue), dead (DLQ), pending_events",
            ["queue"],
            registry=self.registry,
        )

        self.http_connections = Gauge(
            "recado_http_connections",
            "Connections open on each listener (public, operator), at most its cap",
            ["listener"],
            registry=self.registry,
        )
        self.http_refused = Counter(
            "recado_http_connections_refused",
            "Connections answered 503 because the listener was at its cap",
            ["listener"],
            registry=self.registry,
        )

        self.incidents_open = Gauge(
            "recado_incidents_open",
            "Incidents not resolved yet (open or mitigated), by severity",
            ["severity"],
            registry=self.registry,
        )
        self.incident_time_to_resolve = Histogram(
            "recado_incident_time_to_resolve_seconds",
            "From the start of an incident to its resolution, by severity",
            ["severity"],
            buckets=(900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800),
            registry=self.registry,
        )

    def set_storage_fault(self, kind: str | None, commit_failures: int) -> None:
        for name in FAULT_KINDS:
            self.storage_fault.labels(name).set(1 if name == kind else 0)
        self.storage_commit_failures.set(commit_failures)

    def count(self, sample: str, **labels: str) -> int:
        return int(self.registry.get_sample_value(sample, labels) or 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
