-- Issue 16: the dashboard and the DLQ page count the dead letters, and the dashboard each
-- sync job's open set-aside items, on every view. Counted from their indexes those reads
-- grow with what nobody has handled yet (13,000 of each at 1 M messages in the bench);
-- kept here by triggers in the transaction of each row they count, a read is one row.
CREATE TABLE live_counts (
    name TEXT NOT NULL,    -- dead_deliveries | open_sync_failures
    key  TEXT NOT NULL,    -- '' | the sync job
    n    INTEGER NOT NULL,
    PRIMARY KEY (name, key)
) WITHOUT ROWID;

-- The rows already there, counted once.
INSERT INTO live_counts(name, key, n)
SELECT 'dead_deliveries', '', COUNT(*) FROM deliveries WHERE state = 'dead';
INSERT INTO live_counts(name, key, n)
SELECT 'open_sync_failures', job, COUNT(*) FROM sync_failures WHERE resolved_at IS NULL
GROUP BY job;

CREATE TRIGGER live_dead_insert AFTER INSERT ON deliveries WHEN NEW.state = 'dead'
BEGIN
    INSERT INTO live_counts(name, key, n) VALUES ('dead_deliveries', '', 1)
    ON CONFLICT(name, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER live_dead_state AFTER UPDATE OF state ON deliveries
WHEN (OLD.state = 'dead') != (NEW.state = 'dead')
BEGIN
    INSERT INTO live_counts(name, key, n)
    VALUES ('dead_deliveries', '', CASE WHEN NEW.state = 'dead' THEN 1 ELSE -1 END)
    ON CONFLICT(name, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER live_dead_delete AFTER DELETE ON deliveries WHEN OLD.state = 'dead'
BEGIN
    INSERT INTO live_counts(name, key, n) VALUES ('dead_deliveries', '', -1)
    ON CONFLICT(name, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER live_sync_failure_insert AFTER INSERT ON sync_failures
WHEN NEW.resolved_at IS NULL
BEGIN
    INSERT INTO live_counts(name, key, n) VALUES ('open_sync_failures', NEW.job, 1)
    ON CONFLICT(name, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER live_sync_failure_update AFTER UPDATE OF resolved_at, job ON sync_failures
WHEN OLD.resolved_at IS NULL OR NEW.resolved_at IS NULL
BEGIN
    INSERT INTO live_counts(name, key, n)
    SELECT 'open_sync_failures', OLD.job, -1 WHERE OLD.resolved_at IS NULL
    ON CONFLICT(name, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO live_counts(name, key, n)
    SELECT 'open_sync_failures', NEW.job, 1 WHERE NEW.resolved_at IS NULL
    ON CONFLICT(name, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER live_sync_failure_delete AFTER DELETE ON sync_failures
WHEN OLD.resolved_at IS NULL
BEGIN
    INSERT INTO live_counts(name, key, n) VALUES ('open_sync_failures', OLD.job, -1)
    ON CONFLICT(name, key) DO UPDATE SET n = n + excluded.n;
END;
