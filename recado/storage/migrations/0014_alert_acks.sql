-- Issue 15: a person acknowledges an alert (it stays open, marked with who and when) or
-- resolves it by hand; the daemon still resolves the ones whose condition ended (NULL
-- resolved_by). Resolved alerts are kept and listed by severity, newest first.
ALTER TABLE alerts ADD COLUMN acked_at TEXT;
ALTER TABLE alerts ADD COLUMN acked_by TEXT;
ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
CREATE INDEX alerts_severity ON alerts(severity, id);
