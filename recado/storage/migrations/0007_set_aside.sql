-- Issue 10: one bad record never stops an actor.

-- Sync items the target refused for good (a 4xx other than 408/409/425/429) or whose
-- processing raised: set aside so the run goes on and the cursor moves; an operator can
-- post one again (same Idempotency-Key). One row per (job, item key): a later failure of the
-- same item updates it.
CREATE TABLE sync_failures (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job          TEXT NOT NULL,
    run_id       INTEGER REFERENCES sync_runs(id),   -- the run that last set it aside
    item_key     TEXT NOT NULL,
    item_json    TEXT NOT NULL,
    reason_code  TEXT NOT NULL,                      -- refused | internal_error
    reason_pt    TEXT NOT NULL,
    reason_en    TEXT NOT NULL,
    status_code  INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 1,
    at           TEXT NOT NULL,                      -- the latest failure
    resolved_at  TEXT,                               -- delivered by an operator's retry
    UNIQUE (job, item_key)
);
CREATE INDEX sync_failures_open ON sync_failures(job, id) WHERE resolved_at IS NULL;

ALTER TABLE sync_runs ADD COLUMN items_set_aside INTEGER NOT NULL DEFAULT 0;

-- Unix seconds stored before inputs were bounded (a timestamp of 10^17 kept the newest
-- inbound forever, and no real message could move the ledger again): recomputed from the
-- sane messages of the client, or unknown.
UPDATE conversations SET last_inbound_at = (
    SELECT MAX(ts) FROM inbound_messages i
    WHERE i.wa_id = conversations.wa_id AND ts >= 946684800 AND ts < 4102444800
) WHERE last_inbound_at < 946684800 OR last_inbound_at >= 4102444800;
UPDATE conversations SET last_echo_at = (
    SELECT MAX(ts) FROM echo_messages e
    WHERE e.wa_id = conversations.wa_id AND ts >= 946684800 AND ts < 4102444800
) WHERE last_echo_at < 946684800 OR last_echo_at >= 4102444800;
