-- Issue 16: every page and the start-up flat in the data size (docs/performance.md, pages
-- at scale). Indexes that match the queries, per-day counters kept by triggers in the
-- transaction of the rows they count, and what retention deletes by.

-- Messages, listed newest first by (created_at, id), alone or with one filter.
DROP INDEX messages_state;
CREATE INDEX messages_created ON messages(created_at, id);
CREATE INDEX messages_state_created ON messages(state, created_at, id);
CREATE INDEX messages_kind_created ON messages(kind, created_at, id);
CREATE INDEX messages_wa_created ON messages(wa_id, created_at, id);
-- The sender's queue in the order it sends.
DROP INDEX messages_due;
CREATE INDEX messages_due ON messages(due_at, id) WHERE state = 'queued';
-- An appointment's messages in the order its page lists them.
DROP INDEX messages_appointment;
CREATE INDEX messages_appointment ON messages(appointment_id, created_at, id);

-- The conversations index, newest activity first (storage/conversation_index: the same
-- expression, so the page reads its LIMIT from the index).
CREATE INDEX conversations_last_at ON conversations(
    MAX(COALESCE(last_inbound_at, 0), COALESCE(last_outbound_at, 0), COALESCE(last_echo_at, 0))
    DESC, wa_id) WHERE wa_id <> '';

-- A message's statuses (its page), and the bodies statuses came in (retention).
DROP INDEX IF EXISTS message_statuses_message;
CREATE INDEX message_statuses_message ON message_statuses(message_id, ts, id);
CREATE INDEX message_statuses_inbox ON message_statuses(inbox_id);
-- Attempts by outcome: the ones in flight at start, the last one Meta accepted.
CREATE INDEX message_attempts_outcome ON message_attempts(outcome, dry_run, id);

-- What points at an inbox body, so a body can be deleted once nothing does.
CREATE INDEX inbound_messages_inbox ON inbound_messages(inbox_id);
CREATE INDEX echo_messages_inbox ON echo_messages(inbox_id);
-- Webhook items set aside, newest first (the webhooks page; nothing else read by kind).
DROP INDEX webhook_records_kind;
CREATE INDEX webhook_records_set_aside ON webhook_records(id)
    WHERE kind IN ('item_failed', 'bad_item');
CREATE INDEX webhook_rejects_received ON webhook_rejects(received_at);
-- Raw bodies: cleared once old (retention), the row kept while applied rows point at it.
ALTER TABLE webhook_inbox ADD COLUMN purged_at TEXT;

-- Alerts: open ones newest first, and by code and subject (resolving them).
DROP INDEX alerts_open;
CREATE INDEX alerts_open ON alerts(id) WHERE resolved_at IS NULL;
CREATE INDEX alerts_open_code ON alerts(code, subject) WHERE resolved_at IS NULL;

-- An appointment's events (its page finds them by the id in their data); the appointment
-- an event is the last of (retention keeps that event).
-- The guard: an index expression that raises would refuse the insert of an event whose data
-- is not JSON (one an older recado stored), and such a record is set aside, never refused.
CREATE INDEX events_appointment ON events(
    (CASE WHEN json_valid(data_json) THEN json_extract(data_json, '$.appointment_id') END),
    received_at, id);
CREATE INDEX appointments_starts ON appointments(starts_at);
CREATE INDEX appointments_last_event ON appointments(last_event_id);

-- The DLQ by state, newest death first.
DROP INDEX deliveries_state;
CREATE INDEX deliveries_dlq ON deliveries(state, dead_at, id);

-- Sync runs: the one left running at start, a job's failures of the last day; items set
-- aside newest first.
CREATE INDEX sync_runs_running ON sync_runs(id) WHERE status = 'running';
CREATE INDEX sync_runs_job_status ON sync_runs(job, status, started_at);
DROP INDEX sync_failures_open;
CREATE INDEX sync_failures_open ON sync_failures(job, at, id) WHERE resolved_at IS NULL;
CREATE INDEX sync_failures_run ON sync_failures(run_id);

-- Per-day counters. One row per quarter hour (UTC, 'YYYY-MM-DDTHH:MM' of its start), what is
-- counted and a key: a day in the studio's zone is a range of quarters whatever the zone's
-- offset. Kept by the triggers below in the transaction of the rows they count, never
-- touched by a delete: once rows are deleted (retention) their day still counts them.
--   inbox ''                          webhook bodies received
--   reject ''                         bodies refused as not a WhatsApp envelope
--   event processed|pending|failed    events received, by where their deliveries stand
--   delivery <state>                  deliveries created, by their state now
--   dead_letter ''                    deliveries by the time they last went dead
--   message <state>                   messages created, by their state now
--   message_dry_run <state>           the same, of messages that went through a dry run
--   billable <category>               messages Meta priced as billable, at their first priced status
--   sync_run <status>:<job>           sync runs started, by status
CREATE TABLE daily_counts (
    bucket  TEXT NOT NULL,
    metric  TEXT NOT NULL,
    key     TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (bucket, metric, key)
) WITHOUT ROWID;

-- Where an event's deliveries stand, kept by the deliveries' triggers: an event is failed
-- when one is dead or archived, pending while one is pending or retrying, else processed.
ALTER TABLE events ADD COLUMN open_deliveries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN dead_deliveries INTEGER NOT NULL DEFAULT 0;

-- The rows already there, counted once.
UPDATE events SET
    open_deliveries = (SELECT COUNT(*) FROM deliveries d
                       WHERE d.event_id = events.id AND d.state IN ('pending', 'retrying')),
    dead_deliveries = (SELECT COUNT(*) FROM deliveries d
                       WHERE d.event_id = events.id AND d.state IN ('dead', 'archived'));
INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(received_at, 1, 14) || CASE WHEN substr(received_at, 15, 2) < '15' THEN '00' WHEN substr(received_at, 15, 2) < '30' THEN '15' WHEN substr(received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       'inbox', '', COUNT(*) FROM webhook_inbox GROUP BY 1;
INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(received_at, 1, 14) || CASE WHEN substr(received_at, 15, 2) < '15' THEN '00' WHEN substr(received_at, 15, 2) < '30' THEN '15' WHEN substr(received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       'reject', '', COUNT(*) FROM webhook_rejects GROUP BY 1;
INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(received_at, 1, 14) || CASE WHEN substr(received_at, 15, 2) < '15' THEN '00' WHEN substr(received_at, 15, 2) < '30' THEN '15' WHEN substr(received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       'event', CASE WHEN dead_deliveries > 0 THEN 'failed' WHEN open_deliveries > 0 THEN 'pending' ELSE 'processed' END,
       COUNT(*) FROM events GROUP BY 1, 3;
INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(created_at, 1, 14) || CASE WHEN substr(created_at, 15, 2) < '15' THEN '00' WHEN substr(created_at, 15, 2) < '30' THEN '15' WHEN substr(created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       'delivery', state, COUNT(*) FROM deliveries GROUP BY 1, 3;
INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(dead_at, 1, 14) || CASE WHEN substr(dead_at, 15, 2) < '15' THEN '00' WHEN substr(dead_at, 15, 2) < '30' THEN '15' WHEN substr(dead_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       'dead_letter', '', COUNT(*) FROM deliveries WHERE dead_at IS NOT NULL GROUP BY 1;
INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(created_at, 1, 14) || CASE WHEN substr(created_at, 15, 2) < '15' THEN '00' WHEN substr(created_at, 15, 2) < '30' THEN '15' WHEN substr(created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       CASE WHEN dry_run THEN 'message_dry_run' ELSE 'message' END, state, COUNT(*) FROM messages GROUP BY 1, 2, 3;
INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(started_at, 1, 14) || CASE WHEN substr(started_at, 15, 2) < '15' THEN '00' WHEN substr(started_at, 15, 2) < '30' THEN '15' WHEN substr(started_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       'sync_run', status || ':' || job, COUNT(*) FROM sync_runs GROUP BY 1, 3;

INSERT INTO daily_counts(bucket, metric, key, n)
SELECT substr(priced_at, 1, 14) || CASE WHEN substr(priced_at, 15, 2) < '15' THEN '00' WHEN substr(priced_at, 15, 2) < '30' THEN '15' WHEN substr(priced_at, 15, 2) < '45' THEN '30' ELSE '45' END,
       'billable', COALESCE(pricing_category, 'unknown'), COUNT(*) FROM messages
 WHERE pricing_billable = 1 AND priced_at IS NOT NULL GROUP BY 1, 3;

-- From now on, in the transaction of each row.
CREATE TRIGGER count_inbox AFTER INSERT ON webhook_inbox BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.received_at, 1, 14) || CASE WHEN substr(NEW.received_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.received_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'inbox', '', 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_reject AFTER INSERT ON webhook_rejects BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.received_at, 1, 14) || CASE WHEN substr(NEW.received_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.received_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'reject', '', 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_event AFTER INSERT ON events BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.received_at, 1, 14) || CASE WHEN substr(NEW.received_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.received_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'event', CASE WHEN NEW.dead_deliveries > 0 THEN 'failed' WHEN NEW.open_deliveries > 0 THEN 'pending' ELSE 'processed' END, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_event_outcome AFTER UPDATE OF open_deliveries, dead_deliveries ON events
WHEN (CASE WHEN OLD.dead_deliveries > 0 THEN 'failed' WHEN OLD.open_deliveries > 0 THEN 'pending' ELSE 'processed' END)
  != (CASE WHEN NEW.dead_deliveries > 0 THEN 'failed' WHEN NEW.open_deliveries > 0 THEN 'pending' ELSE 'processed' END)
BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(OLD.received_at, 1, 14) || CASE WHEN substr(OLD.received_at, 15, 2) < '15' THEN '00' WHEN substr(OLD.received_at, 15, 2) < '30' THEN '15' WHEN substr(OLD.received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'event', CASE WHEN OLD.dead_deliveries > 0 THEN 'failed' WHEN OLD.open_deliveries > 0 THEN 'pending' ELSE 'processed' END, -1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.received_at, 1, 14) || CASE WHEN substr(NEW.received_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.received_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.received_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'event', CASE WHEN NEW.dead_deliveries > 0 THEN 'failed' WHEN NEW.open_deliveries > 0 THEN 'pending' ELSE 'processed' END, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_delivery AFTER INSERT ON deliveries BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.created_at, 1, 14) || CASE WHEN substr(NEW.created_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.created_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'delivery', NEW.state, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    UPDATE events SET
        open_deliveries = open_deliveries + (NEW.state IN ('pending', 'retrying')),
        dead_deliveries = dead_deliveries + (NEW.state IN ('dead', 'archived'))
    WHERE id = NEW.event_id AND NEW.state IN ('pending', 'retrying', 'dead', 'archived');
END;

CREATE TRIGGER count_delivery_dead_at_insert AFTER INSERT ON deliveries
WHEN NEW.dead_at IS NOT NULL BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.dead_at, 1, 14) || CASE WHEN substr(NEW.dead_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.dead_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.dead_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'dead_letter', '', 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_delivery_state AFTER UPDATE OF state ON deliveries
WHEN OLD.state IS NOT NEW.state BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(OLD.created_at, 1, 14) || CASE WHEN substr(OLD.created_at, 15, 2) < '15' THEN '00' WHEN substr(OLD.created_at, 15, 2) < '30' THEN '15' WHEN substr(OLD.created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'delivery', OLD.state, -1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.created_at, 1, 14) || CASE WHEN substr(NEW.created_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.created_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'delivery', NEW.state, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    UPDATE events SET
        open_deliveries = open_deliveries + (NEW.state IN ('pending', 'retrying'))
                                          - (OLD.state IN ('pending', 'retrying')),
        dead_deliveries = dead_deliveries + (NEW.state IN ('dead', 'archived'))
                                          - (OLD.state IN ('dead', 'archived'))
    WHERE id = NEW.event_id
      AND (NEW.state IN ('pending', 'retrying')) + 2 * (NEW.state IN ('dead', 'archived'))
       != (OLD.state IN ('pending', 'retrying')) + 2 * (OLD.state IN ('dead', 'archived'));
END;

CREATE TRIGGER count_delivery_dead_at AFTER UPDATE OF dead_at ON deliveries
WHEN OLD.dead_at IS NOT NEW.dead_at BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n)
    SELECT substr(OLD.dead_at, 1, 14) || CASE WHEN substr(OLD.dead_at, 15, 2) < '15' THEN '00' WHEN substr(OLD.dead_at, 15, 2) < '30' THEN '15' WHEN substr(OLD.dead_at, 15, 2) < '45' THEN '30' ELSE '45' END,
           'dead_letter', '', -1 WHERE OLD.dead_at IS NOT NULL
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO daily_counts(bucket, metric, key, n)
    SELECT substr(NEW.dead_at, 1, 14) || CASE WHEN substr(NEW.dead_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.dead_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.dead_at, 15, 2) < '45' THEN '30' ELSE '45' END,
           'dead_letter', '', 1 WHERE NEW.dead_at IS NOT NULL
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_message AFTER INSERT ON messages BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.created_at, 1, 14) || CASE WHEN substr(NEW.created_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.created_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        CASE WHEN NEW.dry_run THEN 'message_dry_run' ELSE 'message' END, NEW.state, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

-- A dry run's message counts apart (the daily report never shows it as sent).
CREATE TRIGGER count_message_state AFTER UPDATE OF state, dry_run ON messages
WHEN OLD.state IS NOT NEW.state OR OLD.dry_run IS NOT NEW.dry_run BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(OLD.created_at, 1, 14) || CASE WHEN substr(OLD.created_at, 15, 2) < '15' THEN '00' WHEN substr(OLD.created_at, 15, 2) < '30' THEN '15' WHEN substr(OLD.created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        CASE WHEN OLD.dry_run THEN 'message_dry_run' ELSE 'message' END, OLD.state, -1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.created_at, 1, 14) || CASE WHEN substr(NEW.created_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.created_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.created_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        CASE WHEN NEW.dry_run THEN 'message_dry_run' ELSE 'message' END, NEW.state, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

-- A message's pricing arrives with its statuses (storage/status_effects.keep_pricing), and
-- its first priced time may move earlier: the old contribution goes, the new one comes.
CREATE TRIGGER count_billable_insert AFTER INSERT ON messages
WHEN NEW.pricing_billable = 1 AND NEW.priced_at IS NOT NULL BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.priced_at, 1, 14) || CASE WHEN substr(NEW.priced_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.priced_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.priced_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'billable', COALESCE(NEW.pricing_category, 'unknown'), 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_billable AFTER UPDATE OF pricing_billable, pricing_category, priced_at
ON messages
WHEN OLD.pricing_billable IS NOT NEW.pricing_billable
  OR OLD.pricing_category IS NOT NEW.pricing_category
  OR OLD.priced_at IS NOT NEW.priced_at BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n)
    SELECT substr(OLD.priced_at, 1, 14) || CASE WHEN substr(OLD.priced_at, 15, 2) < '15' THEN '00' WHEN substr(OLD.priced_at, 15, 2) < '30' THEN '15' WHEN substr(OLD.priced_at, 15, 2) < '45' THEN '30' ELSE '45' END,
           'billable', COALESCE(OLD.pricing_category, 'unknown'), -1
     WHERE OLD.pricing_billable = 1 AND OLD.priced_at IS NOT NULL
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO daily_counts(bucket, metric, key, n)
    SELECT substr(NEW.priced_at, 1, 14) || CASE WHEN substr(NEW.priced_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.priced_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.priced_at, 15, 2) < '45' THEN '30' ELSE '45' END,
           'billable', COALESCE(NEW.pricing_category, 'unknown'), 1
     WHERE NEW.pricing_billable = 1 AND NEW.priced_at IS NOT NULL
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_sync_run AFTER INSERT ON sync_runs BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.started_at, 1, 14) || CASE WHEN substr(NEW.started_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.started_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.started_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'sync_run', NEW.status || ':' || NEW.job, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER count_sync_run_status AFTER UPDATE OF status ON sync_runs
WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(OLD.started_at, 1, 14) || CASE WHEN substr(OLD.started_at, 15, 2) < '15' THEN '00' WHEN substr(OLD.started_at, 15, 2) < '30' THEN '15' WHEN substr(OLD.started_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'sync_run', OLD.status || ':' || OLD.job, -1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO daily_counts(bucket, metric, key, n) VALUES (
        substr(NEW.started_at, 1, 14) || CASE WHEN substr(NEW.started_at, 15, 2) < '15' THEN '00' WHEN substr(NEW.started_at, 15, 2) < '30' THEN '15' WHEN substr(NEW.started_at, 15, 2) < '45' THEN '30' ELSE '45' END,
        'sync_run', NEW.status || ':' || NEW.job, 1)
    ON CONFLICT(bucket, metric, key) DO UPDATE SET n = n + excluded.n;
END;

-- Retention (storage/retention.py): each kind of row found by its age, and bodies not yet
-- cleared apart from the ones already cleared (which stay while their rows do).
CREATE INDEX webhook_inbox_unpurged ON webhook_inbox(received_at) WHERE purged_at IS NULL;
CREATE INDEX message_statuses_received ON message_statuses(received_at);
CREATE INDEX message_attempts_started ON message_attempts(started_at);
CREATE INDEX delivery_attempts_started ON delivery_attempts(started_at);
CREATE INDEX inbound_messages_received ON inbound_messages(received_at);
CREATE INDEX echo_messages_received ON echo_messages(received_at);
CREATE INDEX webhook_records_received ON webhook_records(received_at);

-- One row per retention run: what it deleted, the longest a batch held the writer, the
-- pages given back, and the file's size after (its growth per day on the dashboard).
CREATE TABLE retention_runs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL,
    rows_json         TEXT NOT NULL,
    batches           INTEGER NOT NULL,
    longest_batch_ms  REAL NOT NULL,
    pages_freed       INTEGER NOT NULL,
    db_bytes          INTEGER NOT NULL
);
