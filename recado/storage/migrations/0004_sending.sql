-- The sender's record: every attempt (the timeline of a message) and operator alerts.

CREATE TABLE message_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id    TEXT NOT NULL REFERENCES messages(id),
    n             INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    to_number     TEXT NOT NULL,
    dry_run       INTEGER NOT NULL DEFAULT 0,
    request_json  TEXT NOT NULL,              -- what was (or would have been) sent
    outcome       TEXT NOT NULL DEFAULT 'in_flight',
                  -- in_flight | sent | dry_run | rejected | not_sent | unknown
    http_status   INTEGER,
    error_code    INTEGER,
    answer_json   TEXT,                       -- the Graph answer, verbatim
    wamid         TEXT
);
CREATE INDEX message_attempts_message ON message_attempts(message_id, n);

CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    severity     TEXT NOT NULL,               -- critical | warning | info
    code         TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT '',
    text_pt      TEXT NOT NULL,
    text_en      TEXT NOT NULL,
    resolved_at  TEXT
);
CREATE INDEX alerts_open ON alerts(at) WHERE resolved_at IS NULL;
