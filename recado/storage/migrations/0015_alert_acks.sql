-- Issue 15: a person acknowledges an alert (it stays open, marked with who and when) or
-- resolves it by hand; the daemon still resolves the ones whose condition ended (NULL
-- resolved_by). Resolved alerts are kept and listed by severity, newest first.
-- (Assigned 0014; main gave 0014 to the clients' names first.)
ALTER TABLE alerts ADD COLUMN acked_at TEXT;
ALTER TABLE alerts ADD COLUMN acked_by TEXT;
ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
CREATE INDEX alerts_severity ON alerts(severity, id);
-- The dashboard counts the open critical ones on every view: from the index alone.
CREATE INDEX alerts_open_severity ON alerts(severity, id) WHERE resolved_at IS NULL;
