-- The integration hub (docs/reference.md §8): deliveries fanned out from events, their attempts,
-- the circuit breakers per service and the sync jobs' cursors and runs.

-- One row per (event, flow action): each destination has its own state, so one failing
-- destination never re-sends to the others. The pair is unique: expanding twice is a no-op.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT NOT NULL REFERENCES events(id),
    action           TEXT NOT NULL,            -- the flow action, e.g. http:crm:POST:/leads
    service          TEXT,                     -- NULL for whatsapp:<template>
    state            TEXT NOT NULL,            -- pending | retrying | done | dead | archived
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    last_status      INTEGER,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    done_at          TEXT,
    dead_at          TEXT,
    UNIQUE(event_id, action)
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state IN ('pending', 'retrying');
CREATE INDEX deliveries_state ON deliveries(state, updated_at);
CREATE INDEX deliveries_created ON deliveries(created_at);

-- Every attempt, kept through DLQ retries (the delivery's history).
CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  INTEGER NOT NULL REFERENCES deliveries(id),
    n            INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    latency_ms   REAL,
    status_code  INTEGER,
    outcome      TEXT NOT NULL,                -- done | transient | permanent | handed_off
    error        TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, id);

-- Circuit breakers survive a restart: an open breaker stays open until its time is up.
CREATE TABLE breakers (
    service        TEXT PRIMARY KEY,
    state          TEXT NOT NULL,              -- closed | open | half_open
    failure_count  INTEGER NOT NULL DEFAULT 0,
    opened_at      TEXT,
    updated_at     TEXT NOT NULL
);

CREATE TABLE sync_state (
    job           TEXT PRIMARY KEY,
    cursor        TEXT NOT NULL DEFAULT '',
    last_fire_at  TEXT                        -- the latest scheduled instant handled
);

CREATE TABLE sync_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    job            TEXT NOT NULL,
    trigger        TEXT NOT NULL,             -- schedule | catch_up | manual
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    status         TEXT NOT NULL,             -- running | done | failed
    items_read     INTEGER NOT NULL DEFAULT 0,
    items_written  INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    cursor_before  TEXT NOT NULL DEFAULT '',
    cursor_after   TEXT
);
CREATE INDEX sync_runs_job ON sync_runs(job, id);
CREATE INDEX sync_runs_started ON sync_runs(started_at);

-- Messages handed over by a whatsapp:<template> flow action carry their rendered parameters.
ALTER TABLE messages ADD COLUMN params_json TEXT;
