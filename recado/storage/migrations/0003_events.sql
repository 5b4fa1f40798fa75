-- Events from the studio's systems (docs/reference.md §4.3, §5) and the appointments they project.

-- Every accepted event, keyed by the sender's id (its idempotency key). body_sha256 is the
-- hash of the canonical body, so a reused id with another body is told apart (409).
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    data_json     TEXT NOT NULL,
    body_sha256   TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT 'api',   -- api | button (derived by recado)
    remote_ip     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_received ON events(received_at);
CREATE INDEX events_type ON events(type, received_at);

-- The current state of each appointment, as its events left it.
CREATE TABLE appointments (
    id             TEXT PRIMARY KEY,
    client_name    TEXT NOT NULL,
    phone          TEXT NOT NULL,            -- E.164
    wa_id          TEXT NOT NULL,
    service        TEXT NOT NULL,
    starts_at      TEXT NOT NULL,            -- UTC, ISO
    location       TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,            -- scheduled | canceled | confirmed
    notify_client  INTEGER NOT NULL DEFAULT 1,
    cancel_reason  TEXT,
    confirmed_at   TEXT,
    last_event_id  TEXT NOT NULL REFERENCES events(id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX appointments_wa_id ON appointments(wa_id);

-- Jobs (outbound messages) planned from events, in the event's own transaction.
ALTER TABLE messages ADD COLUMN due_at TEXT;
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reason_code TEXT;
ALTER TABLE messages ADD COLUMN reason_json TEXT;
ALTER TABLE messages ADD COLUMN event_id TEXT;
ALTER TABLE messages ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX messages_dedupe ON messages(kind, appointment_id, starts_at)
    WHERE appointment_id IS NOT NULL;
CREATE INDEX messages_due ON messages(due_at) WHERE state = 'queued';
CREATE INDEX messages_appointment ON messages(appointment_id);
